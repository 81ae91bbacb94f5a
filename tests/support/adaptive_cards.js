// Microsoft's Adaptive Cards renderer (npm `adaptivecards`) judging cards the product sends.
//
// Reads a JSON array of cards on stdin and prints, for each, the problems the renderer finds:
// parse events (unknown element or action types, invalid property values, versions the card
// does not declare) and validateProperties() failures (e.g. "Required inputs should have a
// label"), then that it renders. jsdom provides the `window` and `document` the renderer needs.
//
//   node tests/support/adaptive_cards.js < cards.json   ->   [["problem", ...], [], ...]
"use strict";

const { JSDOM } = require("jsdom");

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { url: "https://localhost/" });
global.window = dom.window;
for (const name of Object.getOwnPropertyNames(dom.window)) {
  // document, navigator, HTMLButtonElement, Node, ...: what a browser page would see
  if (name in global) continue;
  try {
    global[name] = dom.window[name];
  } catch (error) {
    // a getter jsdom refuses outside a page (nothing the renderer needs)
  }
}

// the UMD build: the package's "main" is ES modules that Node cannot load as they are
const AC = require("adaptivecards/dist/adaptivecards.js");

// Teams renders TextBlock markdown itself; a plain pass-through keeps the renderer from
// warning that no markdown processor is set (a fact about this host, not about the card).
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = text;
  result.didProcess = true;
};

function judge(json) {
  const problems = [];
  // anything else the renderer warns about while rendering is a problem with the card
  console.warn = console.error = console.log = (...args) => {
    problems.push(`renderer said: ${args.map(String).join(" ")}`);
  };
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  try {
    card.parse(json, context);
  } catch (error) {
    return [`parse failed: ${error.message}`];
  }
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    problems.push(`parse: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  const results = card.validateProperties();
  for (const event of results.validationEvents) {
    problems.push(`validate: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  try {
    if (!card.render()) problems.push("render: nothing rendered");
  } catch (error) {
    problems.push(`render failed: ${error.message}`);
  }
  return problems;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(judge)));
});
