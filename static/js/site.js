// Start the NHS.UK frontend components. The page names the library's address, which is hashed in
// production, so this file needs no rewriting when the library changes.
const library = document.querySelector("script[data-nhsuk-frontend]").dataset.nhsukFrontend;
import(library).then(({ initAll }) => initAll());
