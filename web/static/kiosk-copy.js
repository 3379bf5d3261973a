// Copy buttons: a button with data-copy="ID" copies the text of element ID
// to the clipboard and says so in its status element. Loaded from 'self'
// (the Content-Security-Policy allows no inline script); without it, the
// text can still be selected and copied by hand.
document.addEventListener("click", function (e) {
  var button = e.target.closest("button[data-copy]");
  if (!button || !navigator.clipboard) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-copy") + "-status");
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    if (status) status.textContent = "Copied.";
  }, function () {
    if (status) status.textContent = "Could not copy; select the address and copy it by hand.";
  });
});
