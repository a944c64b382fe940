#!/usr/bin/env bash
# Runs sagesaver's whole test suite, installing first what the tests need:
# a real Jupyter server (classic notebook 6.x and jupyter_server, as notebook
# instances run) with an IPython kernel, the AWS CLI v1 (a non-Go client of
# the emulator), and a C compiler (the race detector, and a stand-in NVIDIA
# management library the GPU tests build), and Chromium (the dashboard's
# browser tests, driven by chromedp). Safe to run again: it installs
# only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(jupyter-notebook python3-ipykernel jupyter-server python3-jupyter-server python3-terminado python3-boto3 awscli gcc libc6-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The CloudFormation templates (internal/deploy) are validated with AWS's
# cfn-lint; a missing one fails here, clearly, rather than skipping.
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "test.sh: cfn-lint is missing: install it (pip install cfn-lint); the CloudFormation template tests need it" >&2
  exit 1
fi

# The DynamoDB backend's tests (internal/store/dynamo/dynamotest) run two
# real DynamoDB implementations on loopback: dynalite on Node, and DynamoDB
# Local, the jar inside amplify-dynamodb-simulator, on Java 17. They are
# installed into a cache directory outside the repository (never committed);
# the tests find them there and, under CI=true, fail when they are missing.
missing_tools=()
command -v node >/dev/null || missing_tools+=(nodejs)
command -v npm >/dev/null || missing_tools+=(npm)
command -v java >/dev/null || missing_tools+=(openjdk-17-jre-headless)
if [ ${#missing_tools[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing_tools[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >/dev/null
fi
test_cache=${SAGESAVER_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sagesaver-test}
npm_install() { # DIR PACKAGE VERSION: install unless that version is there
  local have
  have=$(node -p "require('$test_cache/$1/node_modules/$2/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$3" ]; then
    echo "test.sh: npm install $2@$3 into $test_cache/$1" >&2
    mkdir -p "$test_cache/$1"
    npm install --prefix "$test_cache/$1" --no-audit --no-fund --loglevel=error "$2@$3" >/dev/null
  fi
}
# Keep these versions in step with internal/store/dynamo/dynamotest.
npm_install dynalite dynalite 4.0.0
npm_install dynamodb-local amplify-dynamodb-simulator 2.9.30
export SAGESAVER_TEST_CACHE="$test_cache"

export CGO_ENABLED=1 # the race detector needs cgo; the product itself builds with CGO_ENABLED=0
echo "test.sh: gofmt, go vet" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
echo "test.sh: static build check (CGO_ENABLED=0)" >&2
CGO_ENABLED=0 go build -o /dev/null ./cmd/sagesaver
CGO_ENABLED=0 go build -o /dev/null ./cmd/sagesaver-agent
# The agent build ships for Graviton notebook instances too.
CGO_ENABLED=0 GOARCH=arm64 go build -o /dev/null ./cmd/sagesaver-agent
# The Lambda function's bootstrap (docs/deploy.md).
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o /dev/null ./cmd/sagesaver

echo "test.sh: go test -race ./..." >&2
go test -race -timeout 20m ./...

# The packaged Lambda bootstrap under AWS's Runtime Interface Emulator
# (build tag rie: it needs the emulator's binary, installed here).
rie_version=v0.0.0-20261030222936-bef5c4ba774d # keep in step with cmd/sagesaver/rie_test.go
if ! command -v aws-lambda-rie >/dev/null 2>&1 && [ ! -x "$(go env GOPATH)/bin/aws-lambda-rie" ]; then
  echo "test.sh: installing aws-lambda-rie $rie_version" >&2
  go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$rie_version"
fi
echo "test.sh: Lambda bootstrap under the Runtime Interface Emulator" >&2
go test -tags rie -run '^TestRuntimeInterfaceEmulator$' ./cmd/sagesaver

# Fuzz the parsers briefly (each target alone, as go test -fuzz requires).
# The budget is a count of runs, not a duration: with a duration, Go 1.26's
# fuzz coordinator can report "context deadline exceeded" at the deadline
# and fail the target although nothing crashed (golang/go#75804, fixed in
# Go 1.27); a count has no deadline to race. 5,000 runs take the slowest
# target (FuzzLoadConfig, multi-megabyte hostile seeds) about 10 s here.
# Minimization is bounded by runs too: a time-bounded minimization of a
# large seed outlasted the budget. A real crasher is still written to
# testdata/fuzz, just less minimized. FUZZ_TIME=30s fuzzes longer locally.
fuzz_time=${FUZZ_TIME:-5000x}
fuzz_minimize=${FUZZ_MINIMIZE:-10x}
while read -r pkg target; do
  [ -n "$target" ] || continue
  echo "test.sh: fuzz $pkg $target for $fuzz_time" >&2
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_time" -fuzzminimizetime "$fuzz_minimize" "$pkg"
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg="./$(dirname "${f#./}")"
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r t; do echo "$pkg $t"; done
done | sort -u)
echo "test.sh: all tests passed" >&2
