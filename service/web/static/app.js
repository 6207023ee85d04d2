// GOV.UK Frontend's components, each started here. Radios' conditional questions are shown
// and hidden by this file instead: GOV.UK Frontend marks each radio aria-expanded, which ARIA
// does not allow on a radio (its known issue 979); the questions follow their radio in the
// page's order, so nothing else is needed to reach them.
import {
  Button, CharacterCount, Checkboxes, ErrorSummary, NotificationBanner, PasswordInput,
  ServiceNavigation, SkipLink, createAll, isSupported,
} from "/govuk/govuk-frontend.min.js";

function showChosenQuestions() {
  document.querySelectorAll('input[type="radio"][aria-controls]').forEach((radio) => {
    const questions = document.getElementById(radio.getAttribute("aria-controls"));
    if (questions) {
      questions.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
    }
  });
}

if (isSupported()) {
  [Button, CharacterCount, Checkboxes, ErrorSummary, NotificationBanner, PasswordInput,
    ServiceNavigation, SkipLink].forEach((Component) => createAll(Component));
  document.querySelectorAll('input[type="radio"][data-aria-controls]').forEach((radio) => {
    radio.setAttribute("aria-controls", radio.getAttribute("data-aria-controls"));
    radio.removeAttribute("data-aria-controls");
  });
  document.addEventListener("change", (event) => {
    if (event.target.type === "radio") showChosenQuestions();
  });
  window.addEventListener("pageshow", showChosenQuestions);
  showChosenQuestions();
}
