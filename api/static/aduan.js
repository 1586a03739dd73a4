// Optional: with JavaScript on, the citizen can attach their position to the complaint.
(function () {
  var button = document.getElementById("geo");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var status = document.getElementById("geo-status");
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
      status.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
    }, function (err) { status.textContent = err.message; }, { timeout: 10000 });
  });
})();
