#!/usr/bin/env bash
# Run one psconfig command for action.yml and record how it ended.
#
# Inputs arrive as INPUT_* environment variables (never expanded into this script:
# no input can inject shell code); the psconfig to run is $PSCONFIG. Writes the
# report to $PSCONFIG_OUT/COMMAND.EXT and sets the step outputs exit-code, report,
# json, markdown, stderr, audit-log and stale.
#
# apply with INPUT_REVIEWED_PLAN applies exactly the reviewed plan: it plans again
# against live PowerSchool, compares that with the reviewed plan spec by spec (the
# spec's content digest, the target URL and every change), refuses as stale
# (exit 3) on any difference, and otherwise applies each fresh plan with
# `apply --plan`, which checks once more that nothing changed in between.
set -euo pipefail

psconfig="${PSCONFIG:-psconfig}"
out="${PSCONFIG_OUT:?}"
mkdir -p "$out"
command="${INPUT_COMMAND:-}"
read -r -a specs <<< "${INPUT_SPECS:-}"
read -r -a extra <<< "${INPUT_ARGS:-}"

case "$command" in
  plan | apply | drift | verify | validate) ;;
  *)
    echo "::error title=psconfig::command must be plan, apply, drift, verify or validate, not '$command'"
    exit 1
    ;;
esac

format="${INPUT_FORMAT:-}"
case "$command:$format" in
  apply:*) ext=txt ;;
  *:) ext=txt ;;
  *:json) ext=json ;;
  *:markdown) ext=md ;;
  *:text | *:github) ext=txt ;;
  *)
    echo "::error title=psconfig::format must be text, json, markdown or github, not '$format'"
    exit 1
    ;;
esac
report="$out/$command.$ext"
errors="$out/$command.err"
audit="${INPUT_AUDIT_LOG:-$out/audit.jsonl}"
: > "$report"
: > "$errors"

is_true() {
  case "$1" in
    true | True | TRUE) return 0 ;;
    false | False | FALSE | "") return 1 ;;
    *)
      echo "::error title=psconfig::expected true or false, got '$1'" >&2
      exit 1
      ;;
  esac
}

# Aggregate exit codes as psconfig does for a fleet: any 1, else any 3, else any 2.
worst() {
  local a="$1" b="$2"
  for code in 1 3 2; do
    if [ "$a" = "$code" ] || [ "$b" = "$code" ]; then
      echo "$code"
      return
    fi
  done
  if [ "$a" = 0 ]; then echo "$b"; else echo "$a"; fi
}

args=("$command" "${specs[@]}")
if [ "$command" = apply ]; then
  # CI has no terminal to answer the question: the approval is the reviewed plan
  # and the protected environment's reviewers.
  args+=(--auto-approve --audit-log "$audit")
  if is_true "${INPUT_ALLOW_LOWER_ACCESS:-false}"; then args+=(--allow-lower-access); fi
  if is_true "${INPUT_ALLOW_REMOVE_STAFF:-false}"; then args+=(--allow-remove-staff); fi
  if is_true "${INPUT_ALLOW_DELETE:-false}"; then args+=(--allow-delete); fi
  if is_true "${INPUT_ALLOW_ADD_GROUPS:-false}"; then args+=(--allow-add-groups); fi
elif [ -n "$format" ]; then
  args+=(--format "$format")
fi
if [ -n "${INPUT_LIVE:-}" ]; then args+=(--live "$INPUT_LIVE"); fi
if [ -n "${INPUT_MAX_AGE:-}" ]; then args+=(--max-age "$INPUT_MAX_AGE"); fi
if [ -n "${INPUT_SNAPSHOT_OUT:-}" ]; then args+=(--snapshot-out "$INPUT_SNAPSHOT_OUT"); fi
args+=("${extra[@]}")

# The district plans of a plan document: one plan, or a fleet run's `districts`.
PLANS='(if has("districts") then .districts[].plan else . end) | select(. != null)'

# Why the fresh plan is not the reviewed one, a line per spec ('' when it is).
# The reviewed plan is an artifact of a pull-request run, so its text is shown
# only through `safe`: no newline or control character reaches a log or comment.
stale_reasons() {
  jq -r -n --slurpfile reviewed "$1" --slurpfile fresh "$2" '
    def safe: tostring | gsub("[^A-Za-z0-9._:/@+= -]"; "?");
    def by_spec: ['"$PLANS"'
      | {key: (.spec.path | tostring),
         value: {digest: .spec.digest, url: .target.url, changes}}]
      | from_entries;
    ($reviewed[0] | by_spec) as $was | ($fresh[0] | by_spec) as $now
    | ([$was, $now] | map(keys) | add | unique)[] as $spec
    | ($spec | safe) as $name
    | if $was[$spec] == null then "\($name): planned now but not in the reviewed plan"
      elif $now[$spec] == null then "\($name): in the reviewed plan but not planned now"
      elif $was[$spec].digest != $now[$spec].digest then
        "\($name): the spec changed after the plan was reviewed"
      elif $was[$spec].url != $now[$spec].url then
        "\($name): the reviewed plan was made for \($was[$spec].url | safe), the spec now targets \($now[$spec].url | safe)"
      elif $was[$spec].changes != $now[$spec].changes then
        "\($name): PowerSchool changed since the reviewed plan was made, so the changes computed now differ"
      else empty end'
}

apply_reviewed() {
  local reviewed="$1" fresh="$out/fresh-plan.json" code=0 n=0 one
  if ! jq -e 'type == "object"' "$reviewed" > /dev/null 2>&1; then
    echo "error: $reviewed is not a JSON plan" >> "$errors"
    return 1
  fi
  "$psconfig" plan "${specs[@]}" --format json "${extra[@]}" > "$fresh" 2>> "$errors" || code=$?
  case "$code" in 0 | 2) ;; *) return "$code" ;; esac
  stale_reasons "$reviewed" "$fresh" > "$out/stale.txt"
  if [ -s "$out/stale.txt" ]; then
    {
      echo "stale plan: the plan computed now is not the plan that was reviewed; nothing was applied. Plan again and review it:"
      sed 's/^/  - /' "$out/stale.txt"
    } | tee -a "$report" >> "$errors"
    stale=true
    return 3
  fi
  code=0
  while IFS= read -r one; do
    n=$((n + 1))
    printf '%s\n' "$one" > "$out/apply-plan-$n.json"
    local each=0
    "$psconfig" apply --plan "$out/apply-plan-$n.json" "${args[@]:$((1 + ${#specs[@]}))}" \
      >> "$report" 2>> "$errors" || each=$?
    code="$(worst "$code" "$each")"
  done < <(jq -c "$PLANS | select((.changes | length) > 0)" "$fresh")
  if [ "$n" = 0 ]; then
    echo "No changes: PowerSchool already matches the reviewed plan." >> "$report"
  fi
  return "$code"
}

code=0
stale=false
if [ "$command" = apply ] && [ -n "${INPUT_REVIEWED_PLAN:-}" ]; then
  apply_reviewed "$INPUT_REVIEWED_PLAN" || code=$?
else
  "$psconfig" "${args[@]}" > "$report" 2> "$errors" || code=$?
fi
# The job log shows what psconfig said on stderr (warnings, errors, progress).
cat "$errors" >&2

{
  echo "exit-code=$code"
  echo "report=$report"
  echo "stderr=$errors"
  echo "stale=$stale"
  if [ "$ext" = json ]; then echo "json=$report"; fi
  if [ "$ext" = md ]; then echo "markdown=$report"; fi
  if [ "$command" = apply ]; then echo "audit-log=$audit"; fi
} >> "$GITHUB_OUTPUT"

case "$code" in
  0 | 2) ;;
  *)
    if is_true "${INPUT_FAIL_ON_ERROR:-true}"; then
      echo "::error title=psconfig $command::psconfig $command exited $code; see the log above"
      exit "$code"
    fi
    ;;
esac
