// Behaviour that would otherwise be an inline handler, which the Content-Security-Policy forbids.
// A <select data-autosubmit> (the language switch) submits its form as soon as it changes.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});
