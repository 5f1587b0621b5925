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
  assert.equal(render('{{ index .Vars "missing" }}'), "<no value>");
  assert.equal(render('{{ $x := "v" }}{{ $x }}'), "v");
  assert.equal(render("{{/* a comment */}}ok"), "ok");
  assert.equal(render('{{ "a}}b" }}'), "a}}b");
});

it("branches with if, else if and else, and trims around {{- and -}}", () => {
  const t = '{{ if eq .Env.OS "alpine" }}apk{{ else if eq .Env.OS "debian" }}deb{{ else }}other{{ end }}';
  assert.equal(render(t), "deb");
  assert.equal(render("a  \n  {{- .Env.OS -}}  \n  b"), "adebianb");
  assert.equal(render('{{ if not (index .Vars "missing") }}empty{{ end }}'), "empty");
  assert.equal(render("{{ with .Vars.greeting }}{{ . }}!{{ end }}"), "hi!");
  assert.equal(render('{{ range index .Vars "none" }}x{{ else }}none{{ end }}'), "none");
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

it("makes a missing key an error, as Goss executes templates with missingkey=error", () => {
  for (const t of [
    "{{ .Vars.missing }}",
    "{{ if .Vars.missing }}x{{ end }}",
    "{{ .Env.NOPE }}",
    "{{ .Vars.greeting.x }}",
  ])
    assert.throws(() => render(t), TemplateError, t);
  assert.throws(
    () => render("\n{{ .Vars.nope }}"),
    /line 2: .*<\.Vars\.nope>: map has no entry for key "nope"/,
  );
});

it("short-circuits and/or as Go 1.18+ does: the arguments after the deciding one are not evaluated", () => {
  assert.equal(render('{{ if and (index .Vars "nope") .Vars.nope.deeper }}y{{ else }}n{{ end }}'), "n");
  assert.equal(render("{{ or .Vars.greeting .Vars.nope }}"), "hi");
  assert.equal(render('{{ and .Vars.greeting "last" }}'), "last");
  assert.equal(render('{{ or "" 0 }}'), "0");
  assert.throws(() => render("{{ and .Vars.greeting .Vars.nope }}"), /no entry for key "nope"/);
});

it("has the Sprig functions Goss documents, with Sprig's argument order", () => {
  assert.equal(render('{{ repeat 3 "ab" }}|{{ "x" | repeat 2 }}'), "ababab|xx");
  assert.equal(
    render('{{ "hello world" | title }} {{ trunc 3 "abcdef" }} {{ "a b c" | nospace }}'),
    "Hello World abc abc",
  );
  assert.equal(
    render('{{ list 3 1 2 | last }} {{ until 3 | len }} {{ "a,b" | splitList "," | join "-" }}'),
    "2 3 a-b",
  );
  assert.equal(
    render('{{ $d := dict "k" "v" }}{{ hasKey $d "k" }} {{ get $d "k" }} {{ keys $d | join "" }}'),
    "true v k",
  );
  assert.equal(
    render('{{ "aGk=" | b64dec }} {{ "hi" | b64enc }} {{ add1 4 }} {{ mul 2 3 }} {{ max 1 5 3 }}'),
    "hi aGk= 5 6 5",
  );
  assert.equal(
    render('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexFind "[0-9]+" "ab12cd" }}'),
    "-W-xxW- 12",
  );
  assert.equal(
    render('{{ ternary "y" "n" true }} {{ base "/a/b.txt" }} {{ ext "b.tar.gz" }} {{ indent 2 "x" }}'),
    "y b.txt .gz   x",
  );
});

it("reads regular expressions as Go does (RE2): POSIX classes, \\Q..\\E, named groups", () => {
  assert.equal(
    render('{{ regexMatch "^[[:alpha:]]+$" "abc" }} {{ regexMatch "\\Qa.b\\E" "axb" }}'),
    "true false",
  );
  assert.equal(
    render('{{ $m := findStringSubmatch "(?P<major>[0-9]+)\\.([0-9]+)" "v1.22" }}{{ $m.major }}'),
    "1",
  );
  assert.equal(
    render('{{ $m := findStringSubmatch "([0-9]+)\\.([0-9]+)" "v1.22" }}{{ index $m "2" }}'),
    "22",
  );
  assert.throws(() => render('{{ regexMatch "(?=a)" "a" }}'), /\(\?=a\)/);
});
