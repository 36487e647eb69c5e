#!/bin/sh
# The stand-in redis image's entrypoint, as the official one behaves: options alone mean
# redis-server; as root it hands /data to redis and drops to that user.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
  # why: the official image builds Redis with protected mode off (other containers reach it over
  # the network); Debian's build has it on, which refuses them without a password
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
  umask 0077
fi
exec "$@"
