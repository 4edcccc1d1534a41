// An LTI launch's last step: the id_token goes to the tool by a form post (OIDC form_post), sent at once.
// Without scripts the learner presses the form's button.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-lti-post]");
  if (form) form.submit();
});
