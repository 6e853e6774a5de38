# Sourced by scripts/install, scripts/uninstall and scripts/demo: where modcheck is installed.
# PREFIX from the environment, else /usr/local as root, else ~/.local.
if [ -z "${PREFIX:-}" ]; then
  if [ "$(id -u)" = 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
