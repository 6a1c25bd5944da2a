#!/usr/bin/env bash
# Checks the deployment files without a Docker engine (CI has none): docker-compose.yml must pass
# `docker-compose config` with .env.example's values and define db, app, worker and gpu-worker; every
# file that docker-compose.yml, Dockerfile and Dockerfile.gpu refer to (build contexts, Dockerfiles,
# bind mounts, COPY sources, scripts and entry points in RUN/CMD) must exist and must not be hidden by
# .dockerignore. Exit 1 with one line per problem.
#
# Needs Debian's docker-compose (v1.29 validates offline): `apt-get install -y docker-compose`, which
# .ci/run does; `docker compose` (v2) works too.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

problems=0
fail() {
  echo "check_deploy: $*" >&2
  problems=$((problems + 1))
}

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "check_deploy: Cannot validate docker-compose.yml: docker-compose is not installed" \
    "(apt-get install -y docker-compose)" >&2
  exit 1
fi

# --- docker-compose.yml ---------------------------------------------------------------------------
if ! out=$("${compose[@]}" --env-file .env.example -f docker-compose.yml config -q 2>&1); then
  fail "docker-compose.yml is invalid: ${out}"
fi
services=$("${compose[@]}" --env-file .env.example -f docker-compose.yml --profile gpu config --services 2>/dev/null)
for service in db app worker gpu-worker; do
  grep -qx "$service" <<<"$services" || fail "docker-compose.yml has no service \"${service}\""
done
for name in POSTGRES_HOST POSTGRES_PORT POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB; do
  grep -q "^${name}=" .env.example || fail ".env.example does not set ${name}"
done
# Build contexts, Dockerfiles and bind mounts, as the resolved config names them (absolute paths).
resolved=$("${compose[@]}" --env-file .env.example -f docker-compose.yml --profile gpu config 2>/dev/null)
while read -r dockerfile; do
  [[ -f $dockerfile ]] || fail "docker-compose.yml builds with \"${dockerfile}\", which does not exist"
done < <(sed -n 's/^ *dockerfile: *//p' <<<"$resolved" | sort -u)
while read -r context; do
  [[ -d $context ]] || fail "docker-compose.yml builds in \"${context}\", which does not exist"
done < <(sed -n 's/^ *context: *//p' <<<"$resolved" | sort -u)
while read -r source; do
  [[ -e $source ]] || fail "docker-compose.yml mounts \"${source}\", which does not exist"
done < <(sed -n 's/^ *- \(\/[^:]*\):.*/\1/p' <<<"$resolved" | sort -u)

# --- Dockerfiles ------------------------------------------------------------------------------------
mapfile -t ignored < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' -e 's#/$##' .dockerignore 2>/dev/null)

hidden_by_dockerignore() { # path -> 0 when an ignore pattern covers it (patterns here are plain paths)
  local path=${1#./} pattern
  for pattern in "${ignored[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    if [[ $path == $pattern || $path == $pattern/* ]]; then return 0; fi
  done
  return 1
}

check_path() { # dockerfile, what, path
  local dockerfile=$1 what=$2 path=$3
  if ! compgen -G "$path" >/dev/null; then
    fail "${dockerfile} ${what} \"${path}\", which does not exist"
  elif hidden_by_dockerignore "$path"; then
    fail "${dockerfile} ${what} \"${path}\", which .dockerignore leaves out of the build context"
  fi
}

for dockerfile in Dockerfile Dockerfile.gpu; do
  if [[ ! -f $dockerfile ]]; then
    fail "${dockerfile} is missing"
    continue
  fi
  # One instruction per line: join continuation lines, drop comments.
  while read -r instruction rest; do
    case ${instruction^^} in
      COPY | ADD)
        [[ $rest == *--from=* ]] && continue
        read -ra words <<<"$rest"
        sources=()
        for word in "${words[@]}"; do [[ $word == --* ]] || sources+=("$word"); done
        unset 'sources[-1]' # the destination
        for source in "${sources[@]}"; do
          [[ $source == . ]] && continue
          check_path "$dockerfile" "copies" "$source"
        done
        ;;
      RUN | CMD | ENTRYPOINT)
        while read -r path; do
          check_path "$dockerfile" "runs" "$path"
        done < <(grep -oE '(scripts|gpu-worker|core|web|bench|docker)/[A-Za-z0-9_./-]+\.(sh|mjs|py|ts|tsx)' <<<"$rest" | sort -u)
        ;;
    esac
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' -e '/^[[:space:]]*#/d' "$dockerfile")
done

# A build stage that runs scripts/ensure_model.sh sees only what that stage copied: lay those files out in a
# temporary folder as the build would and let the script check that everything it reads is there.
check_model_stage() { # dockerfile
  local dockerfile=$1 root workdir="/" instruction rest
  root=$(mktemp -d)
  while read -r instruction rest; do
    case ${instruction^^} in
      FROM) workdir="/" ;;
      WORKDIR) workdir=$rest ;;
      COPY | ADD)
        [[ $rest == *--from=* ]] && continue
        read -ra words <<<"$rest"
        local sources=() word destination
        for word in "${words[@]}"; do [[ $word == --* ]] || sources+=("$word"); done
        destination=${sources[-1]}
        unset 'sources[-1]'
        [[ $destination == /* ]] || destination="${workdir%/}/${destination}"
        for word in "${sources[@]}"; do
          [[ -e $word ]] || continue # reported above
          if [[ $destination == */ || ${#sources[@]} -gt 1 ]]; then
            mkdir -p "${root}${destination}"
            cp -R "$word" "${root}${destination%/}/"
          else
            mkdir -p "$(dirname "${root}${destination}")"
            cp -R "$word" "${root}${destination}"
          fi
        done
        ;;
      RUN)
        if [[ $rest == *scripts/ensure_model.sh* ]]; then
          if ! out=$(cd "${root}${workdir}" && bash scripts/ensure_model.sh --check-inputs 2>&1); then
            fail "${dockerfile}'s model stage would fail: ${out}"
          fi
        fi
        ;;
    esac
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' -e '/^[[:space:]]*#/d' "$dockerfile")
  rm -rf "$root"
}
for dockerfile in Dockerfile Dockerfile.gpu; do
  [[ -f $dockerfile ]] && check_model_stage "$dockerfile"
done

# Entry points the compose file runs inside the image.
while read -r path; do
  [[ -f $path ]] || fail "docker-compose.yml runs \"${path}\", which does not exist"
done < <(grep -oE '(scripts|gpu-worker|core|web)/[A-Za-z0-9_./-]+\.(sh|mjs|py|ts|tsx)' docker-compose.yml | sort -u)

if [[ $problems -gt 0 ]]; then
  echo "check_deploy: ${problems} problem(s)" >&2
  exit 1
fi
echo "check_deploy: docker-compose.yml, Dockerfile and Dockerfile.gpu are consistent with the repository"
