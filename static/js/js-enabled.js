// Tell the NHS.UK styles that scripts run (and whether modules do) before the page is drawn.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
