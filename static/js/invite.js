// The invitation page: the link's token rides in the URL fragment (never sent to the server
// by the browser, so never in a log); copy it into the form and hide the field.
const field = document.getElementById("f-token");
const token = window.location.hash.slice(1);
if (field && token) {
  field.value = decodeURIComponent(token);
  document.getElementById("token-field").hidden = true;
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
