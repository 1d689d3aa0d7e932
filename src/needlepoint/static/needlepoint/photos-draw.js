// Draw a region on a photo: drag on the photo to draw a box; its position in the photo's own
// pixels fills the x, y, w, h fields of the form below (which can also be typed in). The box is
// shown with styles set through the CSSOM (allowed by the content security policy).
(function () {
  "use strict";
  var figure = document.querySelector("[data-draw-box]");
  var form = document.querySelector("form [name='x']");
  if (!figure || !form) { return; }
  form = form.form;
  var img = figure.querySelector("img");
  if (!img) { return; }
  var box = document.createElement("div");
  box.className = "draw-box";
  box.hidden = true;
  figure.appendChild(box);
  img.classList.add("pickable");
  var start = null;

  function at(event) {
    var rect = img.getBoundingClientRect();
    var scale = img.naturalWidth / rect.width;
    return {
      x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
      y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
      scale: scale
    };
  }

  function draw(a, b) {
    var left = Math.min(a.x, b.x), top = Math.min(a.y, b.y);
    var width = Math.abs(a.x - b.x), height = Math.abs(a.y - b.y);
    box.hidden = false;
    box.style.left = (img.offsetLeft + left) + "px";
    box.style.top = (img.offsetTop + top) + "px";
    box.style.width = width + "px";
    box.style.height = height + "px";
    var s = a.scale;
    var x = Math.round(left * s), y = Math.round(top * s);
    form.elements.x.value = x;
    form.elements.y.value = y;
    form.elements.w.value = Math.max(1, Math.min(Math.round(width * s), img.naturalWidth - x));
    form.elements.h.value = Math.max(1, Math.min(Math.round(height * s), img.naturalHeight - y));
  }

  img.addEventListener("dragstart", function (event) { event.preventDefault(); });
  img.addEventListener("pointerdown", function (event) {
    start = at(event);
    img.setPointerCapture(event.pointerId);
  });
  img.addEventListener("pointermove", function (event) {
    if (start) { draw(start, at(event)); }
  });
  img.addEventListener("pointerup", function (event) {
    if (start) { draw(start, at(event)); }
    start = null;
  });
})();
