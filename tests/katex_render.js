// Renders each line of stdin (a JSON string of LaTeX) with the KaTeX the web page vendors,
// throwOnError on, in display mode; prints one JSON line per input: null, or the error message.
// Used by tests/test_latex_audit.py and benchmarks/audit_latex.py.
const path = require("path");
const readline = require("readline");
const katex = require(path.join(__dirname, "..", "symgrad", "web", "static", "vendor", "katex",
                                "katex.min.js"));
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let problem = null;
  try {
    katex.renderToString(JSON.parse(line), { throwOnError: true, displayMode: true });
  } catch (error) {
    problem = String(error.message);
  }
  process.stdout.write(JSON.stringify(problem) + "\n");
});
