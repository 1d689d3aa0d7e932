"""Views of the photos app: staff pages (`staff`), the capture page per visit (`capture`), the
files behind the access check (`files`) and the patient's own page (`portal`)."""
