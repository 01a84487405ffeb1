<#
.SYNOPSIS
    Nightly Hyper-V compliance audit: collect, evaluate with waivers and history, keep the last N reports, and
    optionally mail the HTML report through your own SMTP relay.

.DESCRIPTION
    One 'audit run' per night into WORKROOT\reports\<UTC time>\ (snapshot.json, results.json, junit.xml, report.html,
    audit.log), with the run history in WORKROOT\history (drift: new failures since last night). Older report folders
    beyond -Keep are removed; only folders this script names (yyyyMMddTHHmmssZ) are ever touched.

    The script's exit code is audit's (0 compliant, 1 failing checks at or above -FailOn, 2 incomplete, 64/65/69/70/74
    problems of the run itself: README "Exit codes"), so Task Scheduler's "Last Run Result" shows it (0x1, 0x2, ...).

    No credential is read from or written to any file: collection runs as the task's account (a group managed
    service account), and mail goes to your relay either anonymously (an internal relay that accepts this host) or
    with the account's own Windows identity (-SmtpUseDefaultCredentials).

    Written for Windows PowerShell 5.1 (powershell.exe, what Task Scheduler starts) and PowerShell 7.

.EXAMPLE
    .\Invoke-AuditNightly.ps1 -HostsFile C:\ProgramData\Audit\hosts.txt -Directory ldaps://dc1.corp.example -DirectoryCa C:\ProgramData\Audit\corp-ca.pem

.EXAMPLE
    .\Invoke-AuditNightly.ps1 -Snapshot \\files\audit\inbox\estate.snapshot.json -Keep 60 -SmtpServer smtp.corp.example -MailFrom audit@corp.example -MailTo hyperv-ops@corp.example -MailWhen Failure
#>
[CmdletBinding(DefaultParameterSetName = 'Collect')]
param(
    # The audit executable: audit.exe of the Windows single-file build (default: the folder above this script), or
    # 'audit' of the .NET tool.
    [string] $Audit = '',

    # Collect: the hosts (one name per line, or the JSON inventory; README "Collecting facts").
    [Parameter(ParameterSetName = 'Collect', Mandatory = $true)]
    [string] $HostsFile,

    # Collect: Active Directory, ldaps://dc1.corp.example (read with the task account's Kerberos identity).
    [Parameter(ParameterSetName = 'Collect')]
    [string] $Directory = '',

    # Collect: the only CA trusted for the LDAPS certificate (PEM).
    [Parameter(ParameterSetName = 'Collect')]
    [string] $DirectoryCa = '',

    # Evaluate instead of collecting: a snapshot collected elsewhere (another site, an earlier run).
    [Parameter(ParameterSetName = 'Evaluate', Mandatory = $true)]
    [string] $Snapshot,

    # Where reports, history and logs go.
    [string] $WorkRoot = (Join-Path $env:ProgramData 'Audit'),

    # Rule set files or folders (default: the rules shipped beside audit).
    [string[]] $Rules = @(),

    # Waivers (default: WORKROOT\waivers.json when it exists).
    [string] $Waivers = '',

    # Parameter overrides file (default: WORKROOT\params.json when it exists).
    [string] $Params = '',

    [ValidateSet('critical', 'high', 'medium', 'low', 'info')]
    [string] $FailOn = 'high',

    # Exit 1/2 only for failures and errors that are new since the previous run in the history.
    [switch] $FailOnNew,

    # How many report folders (and history entries) to keep.
    [ValidateRange(1, 3650)]
    [int] $Keep = 30,

    # Mail the HTML report through this relay (host name); nothing is mailed without it.
    [string] $SmtpServer = '',
    [ValidateRange(1, 65535)]
    [int] $SmtpPort = 25,
    # STARTTLS to the relay.
    [switch] $SmtpUseSsl,
    # Authenticate to the relay as the task's own account (Kerberos/NTLM); otherwise anonymously.
    [switch] $SmtpUseDefaultCredentials,
    [string] $MailFrom = '',
    [string[]] $MailTo = @(),
    # Always: every night; Failure: only when audit's exit code is not 0.
    [ValidateSet('Always', 'Failure')]
    [string] $MailWhen = 'Always'
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

if (-not $Audit) {
    $beside = Join-Path (Split-Path -Parent $PSScriptRoot) 'audit.exe'
    if (Test-Path -LiteralPath $beside -PathType Leaf) { $Audit = $beside } else { $Audit = 'audit' }
}
if ($SmtpServer -and (-not $MailFrom -or $MailTo.Count -eq 0)) {
    throw '-SmtpServer needs -MailFrom and -MailTo'
}

# This run's folder, named by the UTC time (a second run in the same second gets -2, -3, ...).
$reports = Join-Path $WorkRoot 'reports'
$history = Join-Path $WorkRoot 'history'
$stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ', [Globalization.CultureInfo]::InvariantCulture)
$name = $stamp
for ($n = 2; Test-Path -LiteralPath (Join-Path $reports $name); $n++) { $name = "$stamp-$n" }
$out = Join-Path $reports $name
New-Item -ItemType Directory -Force -Path $out, $history | Out-Null
$log = Join-Path $out 'audit.log'

$arguments = @('run', '--out', $out, '--history', $history, '--history-keep', "$Keep", '--fail-on', $FailOn, '--format', 'html,junit,json,console')
if ($PSCmdlet.ParameterSetName -eq 'Evaluate') {
    $arguments += @('--snapshot', $Snapshot)
} else {
    $arguments += @('--hosts-file', $HostsFile)
    if ($Directory) { $arguments += @('--directory', $Directory) }
    if ($DirectoryCa) { $arguments += @('--directory-ca', $DirectoryCa) }
}
foreach ($r in $Rules) { $arguments += @('--rules', $r) }
if (-not $Waivers -and (Test-Path -LiteralPath (Join-Path $WorkRoot 'waivers.json'))) { $Waivers = Join-Path $WorkRoot 'waivers.json' }
if ($Waivers) { $arguments += @('--waivers', $Waivers) }
if (-not $Params -and (Test-Path -LiteralPath (Join-Path $WorkRoot 'params.json'))) { $Params = Join-Path $WorkRoot 'params.json' }
if ($Params) { $arguments += @('--params', $Params) }
if ($FailOnNew) { $arguments += '--fail-on-new' }

# Windows PowerShell turns each line a native program writes to stderr into an error record, which 'Stop' would make
# fatal: run audit with 'Continue' and keep its own exit code.
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'
try {
    $lines = @(& $Audit @arguments 2>&1 | ForEach-Object { "$_" })
    $code = $LASTEXITCODE
} finally {
    $ErrorActionPreference = $saved
}
$lines | Set-Content -LiteralPath $log -Encoding UTF8
$lines | ForEach-Object { Write-Output $_ }
if ($null -eq $code) { $code = 70 }
$verdict = @($lines | Where-Object { $_ -like 'AUDIT *' } | Select-Object -First 1)
if ($verdict.Count -eq 0) { $verdict = @("audit exited $code (see $log)") }

# Keep the newest -Keep report folders this script made; nothing else in the folder is touched.
Get-ChildItem -LiteralPath $reports -Directory |
    Where-Object { $_.Name -match '^\d{8}T\d{6}Z(-\d+)?$' } |
    Sort-Object -Property Name -Descending |
    Select-Object -Skip $Keep |
    ForEach-Object { Remove-Item -LiteralPath $_.FullName -Recurse -Force }

if ($SmtpServer -and ($MailWhen -eq 'Always' -or $code -ne 0)) {
    $message = New-Object System.Net.Mail.MailMessage
    $smtp = New-Object System.Net.Mail.SmtpClient($SmtpServer, $SmtpPort)
    try {
        $message.From = New-Object System.Net.Mail.MailAddress($MailFrom)
        foreach ($to in $MailTo) { $message.To.Add($to) }
        $message.Subject = "[audit] $($verdict[0])"
        $message.Body = "$($verdict[0])`r`n`r`nExit code $code. Reports: $out`r`nThe HTML report is attached (open it in a browser; it loads nothing from the network)."
        $report = Join-Path $out 'report.html'
        if (Test-Path -LiteralPath $report) {
            $attachment = New-Object System.Net.Mail.Attachment($report, 'text/html')
            $attachment.TransferEncoding = [System.Net.Mime.TransferEncoding]::Base64
            $attachment.ContentDisposition.FileName = 'report.html'
            $message.Attachments.Add($attachment)
        }
        $smtp.EnableSsl = [bool]$SmtpUseSsl
        $smtp.UseDefaultCredentials = [bool]$SmtpUseDefaultCredentials
        $smtp.Send($message)
        Write-Output "Mailed the report to $($MailTo -join ', ') through ${SmtpServer}:$SmtpPort"
    } catch {
        # The audit's own result stays the task's result; the log says why no mail went out.
        $warning = "mail not sent through ${SmtpServer}:${SmtpPort}: $($_.Exception.Message)"
        Add-Content -LiteralPath $log -Value "WARNING: $warning" -Encoding UTF8
        Write-Warning $warning
    } finally {
        $message.Dispose()
        $smtp.Dispose()
    }
}

exit $code
