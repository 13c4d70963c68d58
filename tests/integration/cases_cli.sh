# cases_cli.sh: the command line contract (sourced by run.sh): exit codes, config errors that
# name their JSON path, --only, output formats, --out, role selection, version and help.

# bad_config NAME PATH_IN_MESSAGE JSON: `validate` must exit 2 and name the JSON path.
bad_config() {
    printf '%s\n' "$3" >"$T/bad-$1.json"
    runz "bad-$1" 2 validate -c "$T/bad-$1.json"
    expect_stderr "bad-$1" "config error $1 names '$2'" "$2"
}

cases_cli() {
    local H SIL
    H=$(port healthy); SIL=$(port silent)
    cat >"$T/cli.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": {
    "cli": { "selector": { "app": "cli", "tier": "web" }, "probes": [
      { "name": "a", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "allow" },
      { "name": "b", "kind": "tcp", "host": "127.0.0.1", "port": $H, "expect": "allow" },
      { "name": "c", "kind": "dns", "query": "svc.test", "expect": "allow" }
    ] },
    "other": { "selector": { "app": "other" }, "probes": [
      { "name": "slow", "kind": "http", "url": "http://127.0.0.1:$SIL/", "expect": "allow" }
    ] }
  }
}
EOF
    if [ -f "$ROOT/config/govtech.json" ]; then
        runz validate-govtech 0 validate -c "$ROOT/config/govtech.json"
    else
        skip "validate config/govtech.json" "config/govtech.json does not exist yet"
    fi
    runz validate-own 0 validate -c "$T/cli.json"
    for f in http tls pg dns ns; do
        [ -f "$T/$f.json" ] && runz "validate-$f" 0 validate -c "$T/$f.json"
    done

    local P='"version": 1, "roles": { "r": { "selector": { "app": "r" }, "probes": ['
    bad_config port 'roles.r.probes[0].port' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 70000, \"expect\": \"allow\" } ] } } }"
    bad_config unknown-key 'roles.r.probes[0].bogus' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1, \"expect\": \"allow\", \"bogus\": 1 } ] } } }"
    bad_config dup-name 'roles.r.probes[1]' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1, \"expect\": \"allow\" },
              { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 2, \"expect\": \"allow\" } ] } } }"
    bad_config literal-password 'roles.r.probes[0].password' \
        "{ $P { \"name\": \"x\", \"kind\": \"postgres\", \"host\": \"127.0.0.1\", \"user\": \"u\", \"dbname\": \"d\",
                \"password\": \"hunter2-literal-zt\", \"expect\": \"allow\" } ] } } }"
    if grep -qF hunter2-literal-zt "$T/r/bad-literal-password.err" "$T/r/bad-literal-password.out"; then
        notok "config error on a literal password does not print it" "the value is in the output"
    else
        ok "config error on a literal password does not print it"
    fi
    bad_config expect 'roles.r.probes[0].expect' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1, \"expect\": \"maybe\" } ] } } }"
    bad_config kind 'roles.r.probes[0].kind' \
        "{ $P { \"name\": \"x\", \"kind\": \"icmp\", \"host\": \"127.0.0.1\", \"port\": 1, \"expect\": \"allow\" } ] } } }"
    bad_config version 'version' '{ "version": 2, "roles": {} }'
    bad_config timeout-type 'defaults.timeout_ms' \
        "{ \"version\": 1, \"defaults\": { \"timeout_ms\": \"fast\" }, \"roles\": { \"r\": { \"selector\": {}, \"probes\": [] } } }"
    bad_config deny-outcome 'roles.r.probes[0].deny_outcomes' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1, \"expect\": \"deny\", \"deny_outcomes\": [\"closed\"] } ] } } }"
    bad_config cidr 'roles.r.probes[0].resolved_within' \
        "{ $P { \"name\": \"x\", \"kind\": \"tcp\", \"host\": \"svc.test\", \"port\": 1, \"expect\": \"allow\", \"resolved_within\": [\"10.0.0.0/33\"] } ] } } }"
    printf '{ "version": 1, "roles": { ' >"$T/bad-json.json"
    runz bad-json 2 validate -c "$T/bad-json.json"
    runz bad-missing-file 2 validate -c "$T/does-not-exist.json"
    runz run-bad-config 2 run -c "$T/bad-port.json" --role r
    chk_empty_stdout run-bad-config "config error: stdout stays empty"

    runz unknown-flag 2 run -c "$T/cli.json" --role cli --bogus-flag
    expect_stderr unknown-flag "unknown flag is named on stderr" "--bogus-flag"
    runz unknown-command 2 frobnicate
    runz unknown-role 2 run -c "$T/cli.json" --role nosuchrole
    expect_stderr unknown-role "unknown role is named on stderr" "nosuchrole"
    runz bad-format 2 run -c "$T/cli.json" --role cli -o xml
    runz bad-timeout-flag 2 run -c "$T/cli.json" --role cli --timeout-ms abc
    runz only-unknown 2 run -c "$T/cli.json" --role cli --only nosuchprobe
    expect_stderr only-unknown "--only with an unknown probe names it" "nosuchprobe"

    POD_NAME=cli-pod-1 POD_NAMESPACE=govtech runz all-pass 0 run -c "$T/cli.json" --role cli
    chk "report schema and summary" all-pass - schema=ztprobe/report/v1 agent_version=0.1.0 role=cli \
        summary.total=3 summary.passed=3 summary.failed=0 summary.inconclusive=0 summary.ok=true \
        'started_at~T' 'started_at~Z' 'duration_ms>0' results#3
    chk "report pod from POD_NAME/POD_NAMESPACE" all-pass - pod.name=cli-pod-1 pod.namespace=govtech
    chk "result fields present" all-pass a name=a kind=http expect=allow verdict=pass outcome=ok \
        hint=null 'target~127.0.0.1' attempts=1 'duration_ms>0' timings_ms.dns=null
    runz no-pod 0 run -c "$T/cli.json" --role cli
    chk "report pod null without the Downward API env" no-pod - pod.name=null pod.namespace=null

    runz only 0 run -c "$T/cli.json" --role cli --only a,c
    chk "--only a,c runs a" only a verdict=pass
    chk "--only a,c runs c" only c verdict=pass
    chk "--only a,c runs nothing else" only - results#2 summary.total=2

    runz text 0 run -c "$T/cli.json" --role cli -o text
    if head -c1 "$T/r/text.out" | grep -q '{'; then
        notok "-o text prints a table, not JSON" "stdout starts with {"
    else
        ok "-o text prints a table, not JSON"
    fi
    expect_word text "-o text names probe a" "a"
    expect_stdout text "-o text shows verdicts" "pass"
    runz junit 0 run -c "$T/cli.json" --role cli -o junit
    expect_stdout junit "-o junit writes a testsuite" "<testsuite"
    runz prom 0 run -c "$T/cli.json" --role cli -o prometheus
    expect_stdout prom "-o prometheus writes ztprobe_probe_success" "ztprobe_probe_success{"
    expect_stdout prom "-o prometheus writes ztprobe_last_run_timestamp_seconds" \
        "ztprobe_last_run_timestamp_seconds"

    mkdir -p "$T/outdir"
    runz out 0 run -c "$T/cli.json" --role cli --out "$T/outdir/report.json"
    chk_empty_stdout out "--out: stdout stays empty"
    cp "$T/outdir/report.json" "$T/r/out-file.out" 2>/dev/null
    chk "--out writes the JSON report" out-file - schema=ztprobe/report/v1 summary.total=3
    local n
    n=$(find "$T/outdir" -mindepth 1 | wc -l)
    expect_between "--out leaves no temporary file behind" "$n" 1 1

    ZTPROBE_CONFIG=$T/cli.json ZTPROBE_ROLE=cli runz env-config 0 run
    chk "ZTPROBE_CONFIG / ZTPROBE_ROLE select config and role" env-config - role=cli summary.total=3
    printf 'app="cli"\ntier="web"\npod-template-hash="7d9f"\n' >"$T/labels"
    ZTPROBE_LABELS_FILE=$T/labels runz labels-role 0 run -c "$T/cli.json"
    chk "role chosen from the Downward API labels file" labels-role - role=cli
    printf 'app="nomatch"\n' >"$T/labels-none"
    ZTPROBE_LABELS_FILE=$T/labels-none runz labels-nomatch 2 run -c "$T/cli.json"
    expect_stderr labels-nomatch "no role matches: the labels seen are named" "nomatch"
    # Role forced by flag while the labels say otherwise: role_labels_mismatch.
    ZTPROBE_LABELS_FILE=$T/labels runz labels-forced 1 run -c "$T/cli.json" --role other --timeout-ms 500
    chk "forced role vs labels -> role_labels_mismatch diagnosis" labels-forced - \
        'diagnoses.*.code^role_labels_mismatch'
    chk "--timeout-ms overrides defaults.timeout_ms" labels-forced slow outcome=app_timeout \
        'duration_ms<1200' 'duration_ms>400'

    runz list 0 list -c "$T/cli.json" --role cli
    expect_word list "list names probe a" "a"
    expect_word list "list names probe c" "c"
    runz version 0 version
    expect_stdout version "version prints 0.1.0" "0.1.0"
    runz help 0 help
    expect_stdout help "help mentions run" "run"
    runz help-flag 0 run --help
}

# chk_empty_stdout RUN LABEL
chk_empty_stdout() {
    if [ -s "$T/r/$1.out" ]; then
        notok "$2" "stdout: $(head -c 200 "$T/r/$1.out" | tr '\n' ' ')"
    else
        ok "$2"
    fi
}
