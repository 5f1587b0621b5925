import { Command, CommanderError, Option } from "commander";
import { UsageError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { VERSION } from "../core/version.js";
import { RUN_KINDS } from "../runs/index.js";
import { addFlagsCommand } from "./flags.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Commands are imported lazily so `withstand halt` starts fast. */
function buildProgram(): Command {
  const program = new Command("withstand")
    .description(
      "Prove that your services withstand failure: chaos experiments with real faults, a kill switch, and a run history.",
    )
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    // Parse errors are thrown as UsageErrors (below) and printed, with their code, by the entry point.
    .configureOutput({ outputError: () => undefined })
    .exitOverride()
    .enablePositionalOptions();

  program
    .command("run")
    .description(
      "run a chaos experiment (Chaos Toolkit JSON/YAML or apiVersion: withstand/v1, kind: Experiment)",
    )
    .argument("<experiment>", "experiment file (YAML or JSON) or http(s) URL")
    .option("--journal-path <file>", "also write the Chaos Toolkit journal to this file")
    .option("--rollback-strategy <strategy>", "default | always | never | deviated")
    .option(
      "--hypothesis-strategy <strategy>",
      "default | before-method-only | after-method-only | during-method-only | continuously",
    )
    .option(
      "--hypothesis-frequency <duration>",
      "how often continuous strategies check the hypothesis (seconds or 500ms, 2s)",
    )
    .option("--fail-fast", "stop the method as soon as a continuous check fails")
    .option("--var <key=value>", "override configuration (key:int=1, key:float=0.5); repeatable", collect)
    .option("--var-file <file>", "configuration and secrets from JSON, YAML or .env; repeatable", collect)
    .option("--deadline <duration>", "stop the run (and revert every fault) after this long, e.g. 5m")
    .option("--dry-run", "list what would run and which processes faults would hit; touch nothing")
    .option("--allow-remote", "let load activities target hosts other than loopback")
    .option("--json", "print an NDJSON event stream")
    .option("--quiet", "print only the verdict")
    .option(
      "--store <path>",
      "run store: a SQLite file (default $WITHSTAND_STORE, ./.withstand/ if it exists, else ~/.local/share/withstand/withstand.db)",
    )
    .addHelpText(
      "after",
      `
Examples:
  withstand run experiment.json
  withstand run experiment.yaml --var base_url=http://127.0.0.1:8080 --journal-path journal.json
  withstand run experiment.yaml --hypothesis-strategy continuously --hypothesis-frequency 500ms --fail-fast
  withstand run experiment.yaml --dry-run

Exit codes: 0 held, 1 deviated/unmet/failed, 2 invalid input, 3 aborted, interrupted or halted.`,
    )
    .action(async (file: string, flags) => {
      const { runCommand } = await import("./run.js");
      process.exitCode = await runCommand(file, flags);
    });

  program
    .command("validate")
    .description("check any document withstand reads; print every problem as file:line:col")
    .argument("<files...>", "documents (read together: refs between them resolve)")
    .option(
      "--template <file>",
      "an Argo AnalysisTemplate file the Rollouts name (repeatable), as rollout --template",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--json", "print a JSON report")
    .option("--vars <file>", "variables for Gossfile templates, as `check` takes them [$GOSS_VARS]")
    .option("--vars-inline <text>", "variables that replace --vars ones [$GOSS_VARS_INLINE]")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand validate experiment.json other.yaml\n  withstand validate rollout.yaml --template success-rate.yaml\n\nExit codes: 0 valid, 2 invalid.",
    )
    .action(async (files: string[], flags) => {
      const { validateCommand } = await import("./validate.js");
      process.exitCode = await validateCommand(files, flags);
    });

  program
    .command("inject")
    .description(
      "inject one fault without an experiment (game days, quick trials); reverted at --duration, Ctrl-C or halt",
    )
    .argument(
      "<kind>",
      "a fault kind: process-kill, process-pause, network, http-fault, cpu-stress, memory-stress, disk-fill, ...",
    )
    .argument(
      "[attributes...]",
      "the fault's attributes as --NAME VALUE (YAML values; --select.command x for mappings)",
    )
    .allowUnknownOption()
    .helpOption("-h, --help")
    .addHelpText(
      "after",
      `
Flags of inject itself: --duration D (revert after D; without it, hold until Ctrl-C or halt),
--deadline D, --dry-run, --json, --quiet, --store PATH.

Examples:
  withstand inject cpu-stress --load 80% --cores 1 --duration 30s
  withstand inject memory-stress --size 2GiB --ramp 10s --duration 1m
  withstand inject disk-fill --path /var/lib/orders --free 100MiB --duration 1m
  withstand inject process-pause --select.command orders.js --duration 10s
  withstand inject network --proxy db --toxic '{type: latency, attributes: {latency: 300}}' --duration 30s

Exit codes: 0 the fault ran its course and was reverted, 2 invalid, 3 interrupted or halted.`,
    )
    .action(async (kind: string, attributes: string[]) => {
      const { injectCommand } = await import("./inject.js");
      process.exitCode = await injectCommand(kind, attributes);
    });

  program
    .command("exec")
    .description("run a command whose wall clock a clock-skew fault can move later (libfaketime, clock NAME)")
    .option("--as <name>", "the clock's name, for clock-skew faults (default: the command's name)")
    .argument("<command...>", "the command and its arguments, after --")
    .passThroughOptions()
    .addHelpText(
      "after",
      `
Examples:
  withstand exec --as orders -- node server.js
  withstand inject clock-skew --clock orders --offset +2h --duration 1m

It reaches dynamically linked programs that take the time from libc (Node, Python, Java, openssl, ...),
and what they start. It cannot reach processes started otherwise, static binaries, or Go programs:
validate and --dry-run say so instead of running a fault that does nothing.`,
    )
    .action(async (command: string[], flags: { as?: string }) => {
      const { execCommand } = await import("./exec.js");
      process.exitCode = await execCommand(command, flags);
    });

  program
    .command("dns")
    .description(
      "a DNS server (UDP and TCP) that forwards to the real resolver and applies toxics per name pattern",
    )
    .option("--listen <host:port>", "where it answers DNS", "127.0.0.1:5353")
    .option("--api <host:port>", "the toxics API the dns fault kind drives", "127.0.0.1:8475")
    .option(
      "--upstream <host:port>",
      "the resolver to forward to (default: the first nameserver of /etc/resolv.conf; none: answer only --record names)",
    )
    .option(
      "--record <name=address>",
      "answer NAME with these addresses itself (repeatable), e.g. inventory.demo=127.0.0.1",
      collect,
    )
    .option("--token <token>", "required for the API off loopback")
    .addHelpText(
      "after",
      `
Point the target's resolver at it (its resolv.conf, a container's --dns, or an address the service
takes), then add toxics with a dns fault or by hand:
  withstand dns --listen 127.0.0.1:5353 --record inventory.demo=127.0.0.1
  curl -X POST localhost:8475/toxics -d '{"names": "inventory.*", "answer": "nxdomain"}'
  dig @127.0.0.1 -p 5353 inventory.demo

Answers: nxdomain, servfail, timeout (no answer), delay (delay_ms), address (a wrong address),
truncate (TC set over UDP, so clients retry over TCP).`,
    )
    .action(async (flags) => {
      const { dnsCommand } = await import("./dns.js");
      process.exitCode = await dnsCommand(flags);
    });

  const lab = program
    .command("lab")
    .description(
      "a network lab on this machine: hosts in zones, each in its own network namespace (needs root)",
    )
    .addHelpText(
      "after",
      `
Examples:
  withstand lab up examples/lab/two-zones.yaml
  withstand inject partition --lab shop --between '[a, b]' --duration 10s
  withstand lab exec shop orders-1 -- curl -s http://inventory-1:8080/
  withstand lab down shop`,
    );
  lab
    .command("up")
    .description("bring a kind: Lab up and keep it until Ctrl-C, lab down or halt")
    .argument("<file>", "a kind: Lab file")
    .option("--json", "print the lab's hosts as JSON")
    .action(async (file: string, flags: { json?: boolean }) => {
      const { labUpCommand } = await import("./lab.js");
      process.exitCode = await labUpCommand(file, flags);
    });
  lab
    .command("down")
    .description(
      "take a running lab down (every lab of yours without a name): its namespaces, processes and faults",
    )
    .argument("[name]", "the lab's name or id")
    .action(async (name: string | undefined) => {
      const { labDownCommand } = await import("./lab.js");
      process.exitCode = await labDownCommand(name);
    });
  lab
    .command("exec")
    .description("run a command inside one of a running lab's hosts (its namespace and resolver)")
    .argument("<lab>", "the lab's name or id")
    .argument("<host>", "the host")
    .argument("<command...>", "the command and its arguments (after --)")
    .action(async (name: string, host: string, command: string[]) => {
      const { labExecCommand } = await import("./lab.js");
      process.exitCode = await labExecCommand(name, host, command);
    });
  lab
    .command("status")
    .description("the running labs and their hosts")
    .option("--json", "print JSON")
    .action(async (flags: { json?: boolean }) => {
      const { labStatusCommand } = await import("./lab.js");
      process.exitCode = await labStatusCommand(flags);
    });

  addFlagsCommand(program);

  const storeCmd = program
    .command("store")
    .description("the run store: its schema version, migrations, and copying runs between stores");
  storeCmd
    .command("status")
    .description("which store, its schema version and how many runs it holds")
    .option(
      "--store <path|url>",
      "a SQLite file or postgres://user@host:port/db (default: WITHSTAND_STORE or the user's store)",
    )
    .option("--json", "print JSON")
    .action(async (flags) => {
      const { storeStatusCommand } = await import("./store.js");
      process.exitCode = await storeStatusCommand(flags);
    });
  storeCmd
    .command("migrate")
    .description("apply missing schema migrations (safe while other runners start: an advisory lock)")
    .option("--store <path|url>", "a SQLite file or postgres://user@host:port/db")
    .action(async (flags) => {
      const { storeMigrateCommand } = await import("./store.js");
      process.exitCode = await storeMigrateCommand(flags);
    });
  storeCmd
    .command("copy")
    .description("copy every finished run (events and windows too) from one store to another; repeatable")
    .requiredOption("--from <path|url>", "the store to read")
    .requiredOption("--to <path|url>", "the store to write")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand store copy --from ~/.local/share/withstand/withstand.db --to postgres://withstand@db:5432/withstand",
    )
    .action(async (flags) => {
      const { storeCopyCommand } = await import("./store.js");
      process.exitCode = await storeCopyCommand(flags);
    });

  program
    .command("check")
    .description(
      "validate this system against Gossfiles, read unchanged (Goss's resources, matchers and output formats)",
    )
    .argument("[files...]", "Gossfiles (YAML or JSON; - reads standard input); default ./goss.yaml")
    .option("-g, --gossfile <file>", "the Gossfile, as Goss takes it [$GOSS_FILE]")
    .option("--vars <file>", "YAML or JSON variables for {{.Vars}} [$GOSS_VARS]")
    .option("--vars-inline <text>", "YAML or JSON variables that replace --vars ones [$GOSS_VARS_INLINE]")
    .option(
      "-f, --format <format>",
      "rspecish, documentation, json, junit, tap, nagios, prometheus or silent [$GOSS_FMT]",
    )
    .option(
      "-o, --format-options <option>",
      "pretty, sort, perfdata, verbose, exclude_raw; repeatable [$GOSS_FMT_OPTIONS]",
      collect,
    )
    .option(
      "-r, --retry-timeout <duration>",
      "retry until every test passes or this time is up (default 0) [$GOSS_RETRY_TIMEOUT]",
    )
    .option("-s, --sleep <duration>", "time between retries (default 1s) [$GOSS_SLEEP]")
    .option("--max-concurrent <n>", "entries checked at once (default 50) [$GOSS_MAX_CONCURRENT]")
    .option("--package <type>", "package database: deb (the only one withstand reads) [$GOSS_PACKAGE]")
    .option("--color", "force colour")
    .option("--no-color", "no colour")
    .addHelpText(
      "after",
      `
Examples:
  withstand check goss.yaml
  withstand check -g goss.yaml --vars vars.yaml -f junit > goss.xml
  withstand check goss.yaml -f nagios -o perfdata
  withstand check goss.yaml --retry-timeout 30s --sleep 1s      # wait for a service to come up

Exit codes: 0 all passed, 1 a test failed (nagios: 2), 2 invalid Gossfile or flag, 3 interrupted.`,
    )
    .action(async (files: string[], flags) => {
      const { checkCommand } = await import("./check.js");
      process.exitCode = await checkCommand(files, flags);
    });

  program
    .command("synthetic")
    .description("run a synthetic transaction once (kind: Synthetic), or print its captured examples")
    .argument("<file>", "a Synthetic file, or `examples` followed by the synthetic's name or file")
    .argument("[more...]", "with `examples`: the synthetic's name or file")
    .option("--json", "print the result as JSON")
    .option("--quiet", "print only the verdict")
    .option("--format <format>", "with `examples`: md (default) or json")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand synthetic place-order.yaml
  withstand synthetic examples place-order > docs/orders-api-examples.md

Exit codes: 0 passed, 1 failed, 2 invalid document, 3 interrupted.`,
    )
    .action(async (target: string, more: string[], flags) => {
      const { syntheticCommand } = await import("./synthetic.js");
      process.exitCode = await syntheticCommand(target, more, flags);
    });

  program
    .command("gameday")
    .description(
      "run a game day (kind: GameDay): its steps as runs under stop conditions; add observer notes; times over runs",
    )
    .argument("<file>", "a GameDay file; or `note` TEXT, `times` TITLE, `actions` RUN")
    .argument(
      "[more...]",
      "with `note`: the text; with `times`: the game day's title; with `actions`: the run id",
    )
    .option("--dry-run", "print the plan and what each stop condition would watch; touch nothing")
    .option("--deadline <duration>", "stop the game day (and revert everything) after this long")
    .option("--author <name>", "with `note`: who observed it (default $USER)")
    .option(
      "--kind <tag>",
      "with `note`: good | bad | lucky | action (the report's sections and action items)",
    )
    .option("--run <id>", "with `note`: the game day run (default: the one running)")
    .option("--format <format>", "with `actions`: md (a checklist, default) or json")
    .option("--json", "print an NDJSON event stream (or JSON times)")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand gameday orders-gameday.yaml --dry-run
  withstand gameday orders-gameday.yaml
  withstand gameday note "the pager fired 40 s after the kill" --author ana --kind good
  withstand gameday times "Orders game day"
  withstand gameday actions RUN --format json
  withstand report RUN --format html --out postmortem.html
  withstand halt                      # the same lever as a stop condition

Exit codes: 0 held, 1 deviated, 2 invalid, 3 stopped by a stop condition, halted or interrupted.`,
    )
    .action(async (target: string, more: string[], flags) => {
      const { gameDayCommand } = await import("./gameday.js");
      process.exitCode = await gameDayCommand(target, more, flags);
    });

  program
    .command("monitor")
    .description(
      "run checks, synthetics and heartbeats on their schedules; serve /__health, /__gtg, /__goss, /metrics; alert a webhook",
    )
    .argument(
      "<files...>",
      "Gossfiles, Synthetic and Heartbeat files; or `ack ID` to acknowledge a failing check",
    )
    .option("--listen <host:port>", "where to serve (default 127.0.0.1:8099)")
    .option("--token <token>", "bearer token (required off loopback, and for acknowledgements)")
    .option("--system-code <code>", "the FT systemCode of /__health")
    .option("--name <name>", "the system's name on /__health")
    .option("--description <text>", "the system's description on /__health")
    .option("--interval <duration>", "how often Goss checks run (default 60s; a check's meta.interval wins)")
    .option("--webhook <url>", "POST alerts (JSON) here")
    .option("--alert-severity <n>", "alert for checks of this severity or worse (default 1: only critical)")
    .option("--failure-threshold <n>", "failed runs in a row before an alert (default 1)")
    .option("--repeat <duration>", "remind while a check keeps failing (default: never)")
    .option(
      "--alert-retry-max <duration>",
      "longest wait between tries of an undelivered webhook alert (default 5m)",
    )
    .option("--vars <file>", "variables for Gossfile templates")
    .option("--vars-inline <text>", "variables for Gossfile templates")
    .option("--store <path>", "run store (synthetic runs are recorded)")
    .option("--url <url>", "with `ack`: the monitor (default http://127.0.0.1:8099)")
    .option("--note <text>", "with `ack`: why")
    .option("--remove", "with `ack`: remove the acknowledgement")
    .addHelpText(
      "after",
      `
Examples:
  withstand monitor goss.yaml place-order.yaml --webhook http://127.0.0.1:9000/alerts
  curl -s 127.0.0.1:8099/__health | jq .ok
  withstand monitor ack place-order --note "deploying the fix" --token $TOKEN`,
    )
    .action(async (files: string[], flags) => {
      const { monitorCommand } = await import("./monitor.js");
      process.exitCode = await monitorCommand(files, flags);
    });

  program
    .command("schema")
    .description("print the JSON Schema of a document kind, for editors (yaml-language-server) and CI")
    .argument("[kind]", "Experiment, chaostoolkit, LoadTest, Rollout or OpenSLO; none lists them")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand schema\n  withstand schema Rollout > rollout.schema.json\n  # then, at the top of a rollout file:\n  # yaml-language-server: $schema=./rollout.schema.json",
    )
    .action(async (kind: string | undefined) => {
      const { schemaCommand } = await import("./schema.js");
      process.exitCode = schemaCommand(kind);
    });

  program
    .command("load")
    .description(
      "generate honest load: open-model arrival rates, latency from the intended send time, k6 thresholds",
    )
    .argument(
      "<target>",
      "a URL (quick form), a LoadTest file, `merge` followed by HDR logs, `report` (with --group) or `export kubernetes FILE`",
    )
    .argument("[files...]", "with `merge`: HDR log files written by --hdr-log")
    .option(
      "--rate <rate>",
      "open model: requests per second (1000/s, 600/m); without it a closed model runs at full speed",
    )
    .option("--duration <duration>", "how long to run (default 10s)")
    .option("--connections <n>", "keep-alive connections (default 64 open model, 10 closed)")
    .option("--method <method>", "HTTP method (default GET)")
    .option("--header <header>", '"Name: value"; repeatable', collect)
    .option("--body <body>", "request body")
    .option("--workers <n>", "worker threads; their histograms merge exactly")
    .option("--segment <i/N>", "run only the i-th of N shares of the arrival rate (distributed runs)")
    .option(
      "--segment-of <N>",
      "in a Kubernetes Indexed Job: run share JOB_COMPLETION_INDEX+1 of N (what `load export kubernetes` sets)",
    )
    .option(
      "--group <name>",
      "join a group of generators in a shared store: abortOnFail judges the group's merged view",
    )
    .option("--parallelism <n>", "with `export kubernetes`: the number of generators (pods)")
    .option("--image <image>", "with `export kubernetes`: the container image with withstand on its PATH")
    .option("--name <name>", "with `export kubernetes`: the Job's name")
    .option("--namespace <ns>", "with `export kubernetes`: the Job's namespace")
    .option("--store-secret <name>", "with `export kubernetes`: a Secret whose key `url` holds the store URL")
    .option(
      "--threshold <metric=expr>",
      'k6 threshold, e.g. "http_req_duration=p(99)<300"; repeatable',
      collect,
    )
    .option("--summary-json <file>", "write k6's --summary-export file (what k6 tooling reads)")
    .option("--summary-data <file>", "write the summary data k6 hands to handleSummary(data)")
    .option("--out <ndjson=file>", "write the per-second windows as NDJSON", collect)
    .option("--hdr-log <file>", "write HdrHistogram interval logs (mergeable with `withstand load merge`)")
    .option("--max-requests <n>", "hard bound on requests sent")
    .option("--timeout <duration>", "per-request timeout (default 10s)")
    .option("--allow-remote", "allow targets other than loopback")
    .option("--json", "print NDJSON events")
    .option("--quiet", "print only the verdict")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand load http://127.0.0.1:8080/orders --rate 1000/s --duration 30s
  withstand load http://127.0.0.1:8080/ --connections 50 --duration 10s       # closed model, like wrk
  withstand load loadtest.yaml --summary-json summary.json --out ndjson=windows.ndjson
  withstand load loadtest.yaml --segment 1/2 --hdr-log a.hlog   # and --segment 2/2 elsewhere
  withstand load merge a.hlog b.hlog
  withstand load loadtest.yaml --segment 1/4 --group nightly --store postgres://ci@db/withstand   # x4
  withstand load report --group nightly --store postgres://ci@db/withstand
  withstand load export kubernetes loadtest.yaml --parallelism 20 --image ghcr.io/acme/withstand:0.1 \
      --store-secret withstand-store | kubectl apply -f -

Exit codes: 0 thresholds passed, 1 a threshold failed (k6 exits 99), 2 invalid input, 3 interrupted.`,
    )
    .action(async (target: string, files: string[], flags) => {
      const { loadCommand } = await import("./load.js");
      process.exitCode = await loadCommand(target, files, flags);
    });

  program
    .command("proxy")
    .description(
      "run a Toxiproxy-compatible fault proxy (TCP toxics, plus HTTP faults on proxies with protocol http)",
    )
    .option("--host <host>", "API address", "127.0.0.1")
    .option("--port <port>", "API port", "8474")
    .option("--config <file>", "proxies to create at start, in Toxiproxy's populate format (toxics included)")
    .option("--token <token>", "require this bearer token on every API call (needed beyond loopback)")
    .addHelpText(
      "after",
      `
Examples:
  withstand proxy
  withstand proxy --port 8474 --config proxies.json
  curl -X POST 127.0.0.1:8474/proxies -d '{"name":"db","listen":"127.0.0.1:26379","upstream":"127.0.0.1:6379"}'
  curl -X POST 127.0.0.1:8474/proxies/db/toxics -d '{"type":"latency","attributes":{"latency":300}}'`,
    )
    .action(async (flags) => {
      const { proxyCommand } = await import("./proxy.js");
      process.exitCode = await proxyCommand(flags);
    });

  program
    .command("rollout")
    .description("progressive delivery: a weighted router, Argo-style steps and a Kayenta-style judge")
    .argument("<file|action>", "a Rollout file, or status | promote | abort")
    .argument("[name]", "with an action: the rollout's metadata.name (optional when only one runs)")
    .option("--full", "with promote: skip every remaining step and give the canary 100%")
    .option(
      "--skip-analysis",
      "with promote during an inconclusive analysis: go on without it (recorded); a plain promote measures again",
    )
    .option("--reason <text>", "with abort: why, for the record")
    .option(
      "--template <file>",
      "an Argo AnalysisTemplate file the analyses name (repeatable; templates in the Rollout file itself are read too)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--commit-time <time>", "when the deployed change was committed, for DORA's lead time")
    .option("--revision <rev>", "the deployed revision: its commit time comes from git (--repo)")
    .option("--repo <dir>", "the git repository of the deployed revision (default: the current directory)")
    .option("--json", "print NDJSON events (status: JSON)")
    .option("--quiet", "print only the decision")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand rollout rollout.yaml                # runs the steps, rolls back on a failed analysis
  withstand rollout rollout.yaml --template success-rate.yaml   # Argo AnalysisTemplates, unchanged
  withstand rollout status                      # every rollout running on this machine
  withstand rollout promote orders              # end a pause; after an inconclusive analysis, measure again
  withstand rollout promote orders --skip-analysis  # go past an inconclusive analysis unjudged (recorded)
  withstand rollout promote orders --full       # skip the remaining steps
  withstand rollout abort orders                # canary weight 0 now

Exit codes: 0 promoted, 1 rolled back by analysis, 2 invalid input, 3 aborted by the user (abort, Ctrl-C, halt).`,
    )
    .action(async (first: string, name: string | undefined, flags) => {
      const { rolloutCommand } = await import("./rollout.js");
      process.exitCode = await rolloutCommand(first, name, flags);
    });

  program
    .command("report")
    .description("one run as a self-contained HTML page, Markdown, JUnit XML or JSON")
    .argument("<run-id>", "run id or a unique prefix (see `withstand runs`)")
    .option("--format <format>", "html | md | junit | json (default md)")
    .option("--out <file>", "write to a file instead of stdout")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand report 20261122-0904 --format html --out report.html   # opens from the file, charts embedded
  withstand report 20261122-0904 --format junit --out junit.xml    # for CI test reporters
  withstand report 20261122-0904 --format md >> "$GITHUB_STEP_SUMMARY"`,
    )
    .action(async (runId: string, flags) => {
      const { reportCommand } = await import("./report.js");
      process.exitCode = await reportCommand(runId, flags);
    });

  program
    .command("serve")
    .description("the dashboard and its JSON API over the run store, live with server-sent events")
    .option("--port <port>", "port to listen on (default 7070; 0 picks a free one)")
    .option("--host <host>", "address to bind (default 127.0.0.1; anything else needs --token)")
    .option(
      "--token <token>",
      "bearer token for the API (required off loopback; the kill switch always needs one)",
    )
    .option("--slo <file>", "an OpenSLO file whose SLOs the SLO page shows; repeatable", collect)
    .option("--monitor <url>", "a withstand monitor whose checks the Checks page shows; repeatable", collect)
    .option("--monitor-token <token>", "the monitors' --token, for acknowledgements from the dashboard")
    .option("--flags <url>", "a withstand flags server whose flags the Flags page shows; repeatable", collect)
    .option(
      "--flags-token <token>",
      "a token of the flag servers, for switches from the dashboard (or WITHSTAND_FLAGS_TOKEN)",
    )
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      `
Examples:
  withstand serve                          # http://127.0.0.1:7070
  withstand serve --monitor http://127.0.0.1:8099 --monitor-token "$TOKEN"
  withstand serve --slo examples/demo/slo.yaml
  withstand serve --flags http://127.0.0.1:8016 --flags-token "$WITHSTAND_FLAGS_TOKEN"
  withstand serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"`,
    )
    .action(async (flags) => {
      const { serveCommand } = await import("./serve.js");
      process.exitCode = await serveCommand(flags);
    });

  const slo = program.command("slo").description("SLOs and error budgets from OpenSLO v1 documents");
  slo
    .command("status")
    .description(
      "SLI, error budget (total and remaining), burn rates over 5m..3d, time to exhaustion and alert states",
    )
    .argument("<files...>", "OpenSLO v1 YAML files (references are resolved across them)")
    .option("--at <time>", "evaluate at this time instead of now (ISO 8601)")
    .option("--json", "print JSON")
    .option("--store <path>", "run store (for SLIs over withstand's own windows)")
    .option(
      "--exclude-runs <runs>",
      "also show the budget with these runs' fault windows left out: run ids, kind=KIND, or planned (every game day), comma-separated",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  withstand slo status slo.yaml\n  withstand slo status slo.yaml --at 2026-11-22T10:00:00Z --json\n  withstand slo status slo.yaml --exclude-runs planned",
    )
    .action(async (files: string[], flags) => {
      const { sloStatusCommand } = await import("./slo-status.js");
      process.exitCode = await sloStatusCommand(files, flags);
    });
  slo
    .command("alerts")
    .description("evaluate the multiwindow burn-rate alerts in-process; exit 1 when one fires")
    .argument("<files...>", "OpenSLO v1 YAML files (references are resolved across them)")
    .option("--at <time>", "evaluate at this time instead of now (ISO 8601)")
    .option("--json", "print JSON")
    .option("--store <path>", "run store")
    .addHelpText("after", "\nExamples:\n  withstand slo alerts slo.yaml")
    .action(async (files: string[], flags) => {
      const { sloStatusCommand } = await import("./slo-status.js");
      process.exitCode = await sloStatusCommand(files, flags, "alerts");
    });
  slo
    .command("rules")
    .description(
      "write Prometheus recording and multiwindow, multi-burn-rate alerting rules (Sloth-compatible names)",
    )
    .argument(
      "<files...>",
      "OpenSLO v1 YAML (multi-document; SLO, SLI, DataSource, AlertPolicy, AlertCondition, ...); references are resolved across the files",
    )
    .option("-o, --output <file>", "write the rules to this file instead of stdout")
    .option(
      "--exclude-runs <runs>",
      "leave these runs' fault windows out of the error budget: run ids, kind=KIND, or planned (every game day), comma-separated",
    )
    .option(
      "--planned-step <duration>",
      "resolution of the left-out windows (steps that overlap one are left out)",
      "1m",
    )
    .option("--store <path>", "run store the runs are read from")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand slo rules slo.yaml -o rules.yaml && promtool check rules rules.yaml\n  withstand slo rules slo.yaml --exclude-runs planned -o rules.yaml",
    )
    .action(async (files: string[], flags) => {
      const { sloRulesCommand } = await import("./slo.js");
      process.exitCode = await sloRulesCommand(files, flags);
    });

  program
    .command("halt")
    .description(
      "KILL SWITCH (destructive): revert every active fault of every run on this machine and stop those runs",
    )
    .option("--json", "print what was reverted as JSON")
    .addHelpText("after", "\nExamples:\n  withstand halt")
    .action(async (flags) => {
      const { haltCommand } = await import("./halt.js");
      process.exitCode = await haltCommand(flags);
    });

  const runs = program
    .command("runs")
    .description("list recorded runs, newest first")
    .option("--json", "print JSON")
    .option("--status <status>", "only runs with this status")
    .option("--kind <kind>", `only runs of this kind: ${[...RUN_KINDS.keys()].join(", ")}`)
    .option("--limit <n>", "at most this many runs", "50")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand runs\n  withstand runs --status interrupted --json\n  withstand runs show 20261122-0930",
    )
    .action(async (flags) => {
      const { runsListCommand } = await import("./runs.js");
      process.exitCode = await runsListCommand(flags);
    });
  runs
    .command("show")
    .description("show one run: verdict, activities, faults")
    .argument("<id>", "run id or a unique prefix")
    .option("--json", "print the run with its journal and events as JSON")
    .option("--store <path>", "run store")
    .addHelpText("after", "\nExamples:\n  withstand runs show 20261122-093012-a1b2c3 --json")
    .action(async (id: string, flags, cmd: Command) => {
      const { runsShowCommand } = await import("./runs.js");
      process.exitCode = await runsShowCommand(id, { ...cmd.parent?.opts(), ...flags });
    });

  program
    .command("risk")
    .description(
      "price a RiskCatalog's risks in error budget: bad minutes a year, share of each SLO's budget, stack rank",
    )
    .argument("<file>", "a kind: RiskCatalog document")
    .option("--slo <file...>", "OpenSLO files whose yearly budgets the risks are compared with")
    .option("--limit <share>", "flag a risk above this share of a budget (default the catalogue's, 25%)")
    .option("--mitigate <what...>", "what-if: RISK=canary:5%, RISK=detect:2m or RISK=repair:10m (repeatable)")
    .option("--format <format>", "text | md | json (default text)")
    .option("--store <path>", "run store (for risks that cite runs)")
    .addHelpText(
      "after",
      "\nExit codes: 0 no risk over the limit, 1 a risk over it, 2 bad input.\n\nExamples:\n  withstand risk risks.yaml --slo slo.yaml\n  withstand risk risks.yaml --slo slo.yaml --mitigate bad-deploy=canary:5% --format md",
    )
    .action(async (file: string, flags) => {
      const { riskCommand } = await import("./risk.js");
      process.exitCode = await riskCommand(file, flags);
    });

  program
    .command("dora")
    .description("DORA's four keys from stored rollouts, as fourkeys computes them")
    .option("--since <duration>", "the window (default 90d)")
    .option("--denominator <which>", "change failure rate over attempts (default) or deployments (fourkeys)")
    .option(
      "--recovery-start <when>",
      "recovery from the failed deployment's start (deploy, fourkeys) or its rollback",
    )
    .option("--service <title>", "only rollouts with this title")
    .option(
      "--repo <dir>",
      "a git repository: each recorded revision's lead time counts every change it shipped (git log PREV..REV)",
    )
    .option("--json", "print JSON")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      "\nExamples:\n  withstand dora\n  withstand dora --since 30d --denominator deployments --json\n  withstand dora --repo . --service orders",
    )
    .action(async (flags) => {
      const { doraCommand } = await import("./dora.js");
      process.exitCode = await doraCommand(flags);
    });

  const anomaly = program
    .command("anomaly")
    .description("seasonal anomaly detection, backtested before it pages");
  const detectorOptions = (c: Command) =>
    c
      .option(
        "--preset <name>",
        "seasonal (default: GitLab's weekly median) or weekly-average (1.5x the weekly mean)",
      )
      .option("--k <sigmas>", "standard deviations of the residual that are anomalous (default 3)")
      .option("--for <duration>", "how long a breach must hold (default 5m)")
      .option("--direction <dir>", "up (default), down or both")
      .option("--floor <value>", "below this nothing alerts (default 0.0833, 5 a minute)")
      .option("--transform <t>", "sqrt (default: counts and rates) or none (latencies)");
  detectorOptions(
    anomaly
      .command("backtest")
      .description("replay a series through the detector: anomalies per week, and recall on injected spikes")
      .option("--prometheus <url>", "read the series from Prometheus (with --query)")
      .option("--query <promql>", "the series, aggregated to one")
      .option("--series <name>", "read withstand's stored windows of this series")
      .option("--metric <m>", "for --series: rate (default), errors or error-ratio")
      .option("--file <file>", "read time,value rows (CSV) or [[time, value]] (JSON)")
      .option("--since <duration>", "how far back (default 35d: three weeks train, two are judged)")
      .option("--step <duration>", "one point per step (default 1m)")
      .option("--inject <spike...>", "add spikes to measure recall: spike:3x:10m (one a day)")
      .option("--json", "print JSON")
      .option("--store <path>", "run store"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  withstand anomaly backtest --prometheus http://127.0.0.1:9090 --query 'sum(rate(http_requests_total[5m]))' --inject spike:3x:10m\n  withstand anomaly backtest --file rps.csv --step 5m",
    )
    .action(async (flags) => {
      const { anomalyBacktestCommand } = await import("./anomaly.js");
      process.exitCode = await anomalyBacktestCommand(flags);
    });
  detectorOptions(
    anomaly
      .command("rules")
      .description("the detector as Prometheus recording and alerting rules (promtool check rules passes)")
      .option("--name <name>", "the series' name in the rules")
      .option("--expr <promql>", "the series' PromQL")
      .option("--interval <duration>", "rule evaluation interval (default 1m)")
      .option("-o, --out <file>", "write the rules here instead of stdout"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  withstand anomaly rules --name orders-rps --expr 'sum(rate(http_requests_total{job=\"orders\"}[5m]))' -o anomaly.rules.yml",
    )
    .action(async (flags) => {
      const { anomalyRulesCommand } = await import("./anomaly.js");
      process.exitCode = anomalyRulesCommand(flags);
    });

  program
    .command("pact")
    .description("contract tests: verify a provider against its consumers' pacts (Pact specification v1-v4)")
    .command("verify")
    .description("replay each interaction of the pacts against the provider and match the answers")
    .argument("<pact...>", "pact files (JSON) or http(s) URLs")
    .option("--provider-base-url <url>", "the provider's base URL")
    .option("--state-change-url <url>", "POST {state, params, action} here before each interaction")
    .option("--state-change-teardown", "also POST action: teardown after each interaction")
    .option(
      "--state-command <cmd>",
      "run this shell command for each state (PACT_STATE, PACT_STATE_PARAMS, PACT_STATE_ACTION)",
    )
    .option("--consumer <name>", "only pacts of this consumer")
    .option("--interaction <description>", "only interactions with this description")
    .option("--state <name>", "only interactions in this provider state")
    .option("--header <header...>", 'extra request header "Name: value" (repeatable)')
    .option("--timeout <duration>", "per request, headers and whole body (default 30s)")
    .option("--junit <file>", "also write JUnit XML here")
    .option("--json", "print the results as JSON")
    .option("--quiet", "print nothing; the exit code says it all")
    .option("--store <path>", "run store")
    .addHelpText(
      "after",
      "\nExit codes: 0 every interaction verified, 1 a contract broken, 2 bad input.\n\nExamples:\n  withstand pact verify pacts/web-orders.json --provider-base-url http://127.0.0.1:8080\n  withstand pact verify pacts/*.json --provider-base-url http://127.0.0.1:8080 --state-change-url http://127.0.0.1:8080/_pact/state --junit pact.xml",
    )
    .action(async (files: string[], flags) => {
      const { pactVerifyCommand } = await import("./pact.js");
      process.exitCode = await pactVerifyCommand(files, flags);
    });

  program
    .command("demo")
    .description(
      "start the bundled demo system, kill a replica under traffic, and show a robust and a fragile verdict",
    )
    .option("--store <path>", "run store")
    .addOption(
      new Option("--only <scenario>", "run only one scenario").choices([
        "robust",
        "fragile",
        "network",
        "dns",
        "dns-fragile",
        "disk",
        "disk-fragile",
        "rollout-bad",
        "rollout-good",
        "flags",
        "gameday",
        "lab",
      ]),
    )
    .option("--json", "print NDJSON events")
    .addHelpText("after", "\nExamples:\n  withstand demo\n  make demo")
    .action(async (flags) => {
      const { demoCommand } = await import("./demo.js");
      process.exitCode = await demoCommand(flags);
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other parse problem is a usage error (exit 2).
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) {
        process.exitCode = EXIT.ok;
        return;
      }
      // Help shown because no command was given: it is already on stderr, and it is the whole message.
      if (err.code === "commander.help") {
        process.exitCode = EXIT.invalid;
        return;
      }
      throw new UsageError(err.message.replace(/^error: /, ""), { cause: err });
    }
    throw err;
  }
}
