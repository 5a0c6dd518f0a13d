// The organiser's outcome page.
import { bindOutcomeForm } from "./outcome.js";

const form = document.getElementById("outcome-form");
if (form) bindOutcomeForm(form);
