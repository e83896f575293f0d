// Runs the Python source given on stdin in Pyodide (the Python xlwings Lite runs) and writes the
// value of its last expression (a str) to stdout; Python's own prints go to stderr.
import { readFileSync } from "node:fs";
import { loadPyodide } from "pyodide";

const code = readFileSync(0, "utf8");
const pyodide = await loadPyodide({
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const result = await pyodide.runPythonAsync(code);
process.stdout.write(String(result));
