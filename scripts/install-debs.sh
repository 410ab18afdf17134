# Sourced by scripts/test.sh and scripts/demo.sh: `install_debs PACKAGE...` installs, from
# Debian's archive, those of the packages that are not installed yet (never a downloaded
# browser), with sudo when not root. Expects a `log` function.
install_debs() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}
