// The before/after slider: the range input uncovers the aligned after photo over the before
// photo. Styles are set through the CSSOM (allowed by the content security policy); without
// JavaScript the side-by-side pair above it still shows both photos.
(function () {
  "use strict";
  document.querySelectorAll("[data-slider]").forEach(function (slider) {
    var after = slider.querySelector("[data-slider-after]");
    var range = slider.querySelector("[data-slider-range]");
    var before = slider.querySelector("img");
    if (!after || !range || !before) { return; }
    function show() {
      after.style.width = range.value + "%";
      var inner = after.querySelector("img");
      if (inner) { inner.style.width = before.clientWidth + "px"; }
    }
    range.addEventListener("input", show);
    window.addEventListener("resize", show);
    before.addEventListener("load", show);
    show();
  });
})();

// Align by hand: a click on a photo adds that point (in the photo's own pixels) to its field;
// a fourth click starts again from the first. The fields can also be typed in.
(function () {
  "use strict";
  var form = document.querySelector("[data-points] form");
  if (!form) { return; }
  document.querySelectorAll("img[data-points-target]").forEach(function (img) {
    var field = form.querySelector("[name='" + img.getAttribute("data-points-target") + "']");
    if (!field) { return; }
    img.classList.add("pickable");
    img.addEventListener("click", function (event) {
      var rect = img.getBoundingClientRect();
      var x = Math.round((event.clientX - rect.left) / rect.width * img.naturalWidth);
      var y = Math.round((event.clientY - rect.top) / rect.height * img.naturalHeight);
      var points = field.value.trim() ? field.value.trim().split(/\s+/) : [];
      if (points.length >= 3) { points = []; }
      points.push(x + "," + y);
      field.value = points.join(" ");
      form.closest("details").open = true;
    });
  });
})();
