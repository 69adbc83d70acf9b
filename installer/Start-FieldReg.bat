@echo off
rem Start the FieldReg station: checks this laptop, serves the tablets, opens the browser.
rem Keep this window open while the station runs; Ctrl+C (or closing it) stops the station.
rem The station's data is in the "data" folder beside this file.
title FieldReg station
"%~dp0fieldreg\fieldreg.exe" --data "%~dp0data" start %*
if errorlevel 1 pause
