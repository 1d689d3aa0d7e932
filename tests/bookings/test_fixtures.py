"""The shared booking fixtures build what the other booking tests rely on."""


def test_it_builds_an_approved_consented_course_with_planned_sessions(bookable_course):
    from needlepoint.clinic.selectors import course_can_start

    assert bookable_course.status == "approved"
    assert course_can_start(bookable_course)
    assert bookable_course.sessions.count() == bookable_course.plan["sessions"]["count"] == 4


def test_it_leaves_the_unconsented_course_unable_to_start(unconsented_course):
    from needlepoint.clinic.selectors import course_can_start

    assert unconsented_course.status == "approved"
    assert not course_can_start(unconsented_course)
