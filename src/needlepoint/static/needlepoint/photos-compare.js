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
