@echo off
rem Registers the monthly credsweep task from credsweep-task.xml (run in an elevated prompt).
rem With a group managed service account (recommended; no password to store):
schtasks /Create /TN "\credsweep\monthly-run" /XML "%~dp0credsweep-task.xml"
rem Or, without the XML, the same schedule in one line (prompts for the account's password):
rem schtasks /Create /TN "\credsweep\monthly-run" /SC MONTHLY /D 1 /ST 02:30 /RU SOLBJERG\svc-credsweep /RP * ^
rem   /TR "\"C:\Program Files\credsweep\credsweep.exe\" run --config \"C:\ProgramData\credsweep\credsweep.toml\""
rem Check it:   schtasks /Query /TN "\credsweep\monthly-run" /V /FO LIST
rem Run it now: schtasks /Run /TN "\credsweep\monthly-run"
