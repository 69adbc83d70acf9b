#!/bin/sh
# Start the FieldReg station: checks this laptop, serves the tablets, opens the browser.
# Keep this window open while the station runs; Ctrl+C (or closing it) stops the station.
# The station's data is in the "data" folder beside this script.
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/fieldreg/fieldreg" --data "$HERE/data" start "$@"
