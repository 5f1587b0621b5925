import assert from "node:assert/strict";
import { it } from "node:test";
import { renderGoTemplate, TemplateError } from "../../src/core/go-template.js";

const data = {
  Env: { OS: "debian", HOME: "/root" },
  Vars: { debian: { packages: { bash: "5.2", curl: "7.88" } }, greeting: "hi", list: ["a", "b"], n: 3 },
};
const render = (t: string) => renderGoTemplate(t, data);

it("renders fields, pipelines and Goss's functions", () => {
  assert.equal(render("{{.Env.OS}}-{{ .Vars.greeting | toUpper }}"), "debian-HI");
  assert.equal(
    render('{{range mkSlice "/etc/PAsswD" "/etc/group"}}[{{. | toLower}}]{{end}}'),
    "[/etc/passwd][/etc/group]",
  );
  assert.equal(
    render('{{- range $name, $ver := index .Vars .Env.OS "packages"}} {{$name}}={{$ver}}{{end}}'),
    " bash=5.2 curl=7.88",
  );
  assert.equal(render("{{range $i, $v := .Vars.list}}{{$i}}:{{$v}} {{end}}"), "0:a 1:b ");
  assert.equal(render('{{ printf "%s has %d" .Vars.greeting .Vars.n }}'), "hi has 3");
  assert.equal(render("{{ len .Vars.list }}"), "2");
  assert.equal(render("{{.Vars.missing}}"), "<no value>");
  assert.equal(render('{{ $x := "v" }}{{ $x }}'), "v");
  assert.equal(render("{{/* a comment */}}ok"), "ok");
  assert.equal(render('{{ "a}}b" }}'), "a}}b");
});

it("branches with if, else if and else, and trims around {{- and -}}", () => {
  const t = '{{ if eq .Env.OS "alpine" }}apk{{ else if eq .Env.OS "debian" }}deb{{ else }}other{{ end }}';
  assert.equal(render(t), "deb");
  assert.equal(render("a  \n  {{- .Env.OS -}}  \n  b"), "adebianb");
  assert.equal(render("{{ if not .Vars.missing }}empty{{ end }}"), "empty");
  assert.equal(render("{{ with .Vars.greeting }}{{ . }}!{{ end }}"), "hi!");
  assert.equal(render("{{ range .Vars.none }}x{{ else }}none{{ end }}"), "none");
});

it("names the line of a template error instead of rendering nothing", () => {
  assert.throws(
    () => render("a\nb\n{{ nosuchfunc .Env.OS }}"),
    (e: Error) => e instanceof TemplateError && e.line === 3 && /nosuchfunc/.test(e.message),
  );
  assert.throws(() => render("{{ if .Env.OS }}x"), /missing \{\{end\}\}/);
  assert.throws(() => render("{{ .Env.OS"), /unclosed action/);
  assert.throws(() => render("{{ constructor }}"), /not defined/);
});
