// Signature pad: draw with a finger, stylus or mouse on the canvas inside [data-signature-pad];
// the drawing goes, as a PNG data URL, into the hidden input named by data-input. No library.
// Without JavaScript the pad stays hidden and the server refuses a typed name alone, saying why.
(function () {
  "use strict";

  var INK = "#1d2733";

  function setup(pad) {
    var canvas = pad.querySelector("canvas");
    var input = document.getElementById(pad.dataset.input);
    var clear = pad.querySelector("[data-clear]");
    var status = pad.querySelector("[data-status]");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var last = null;
    var ink = 0;

    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;

    // The canvas keeps its own size (600 x 200) whatever its size on screen.
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * canvas.width / box.width,
        y: (event.clientY - box.top) * canvas.height / box.height
      };
    }

    function say(text) {
      if (status) { status.textContent = text; }
    }

    function save() {
      input.value = ink > 0 ? canvas.toDataURL("image/png") : "";
      say(ink > 0 ? "Signature drawn." : "");
    }

    function lineTo(p) {
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      ink += Math.hypot(p.x - last.x, p.y - last.y);
      last = p;
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      ink += 1;
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      (events.length ? events : [event]).forEach(function (e) { lineTo(point(e)); });
    });

    function end() {
      if (!drawing) { return; }
      drawing = false;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);

    clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ink = 0;
      save();
      say("Cleared.");
    });

    // After the server refused the form for another reason it sends the drawing back: show it.
    if (input.value.indexOf("data:image/png;base64,") === 0) {
      var image = new Image();
      image.onload = function () {
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        ink = 1;
      };
      image.src = input.value;
    }

    pad.hidden = false;
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setup);
})();
