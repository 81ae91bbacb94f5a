$der = [Convert]::FromBase64String(((Get-Content public-key.pem) -notmatch '^(-----|Key fingerprint)') -join '')
-join ([Security.Cryptography.SHA256]::Create().ComputeHash($der) | ForEach-Object { $_.ToString('x2') })
$p = New-Object Security.Cryptography.ECParameters
$p.Curve = [Security.Cryptography.ECCurve]::CreateFromFriendlyName('nistP256')
$q = New-Object Security.Cryptography.ECPoint
$q.X = [byte[]]$der[27..58]; $q.Y = [byte[]]$der[59..90]; $p.Q = $q
$s = [IO.File]::ReadAllBytes((Resolve-Path MANIFEST.sig))
function Fix($b) { $b = [byte[]]$b; if ($b.Length -gt 32) { $b = $b[1..32] }; [byte[]](@(0) * (32 - $b.Length) + $b) }
$r = Fix $s[4..(3 + $s[3])]; $t = Fix $s[(6 + $s[3])..($s.Length - 1)]
[Security.Cryptography.ECDsa]::Create($p).VerifyData([IO.File]::ReadAllBytes((Resolve-Path MANIFEST.sha256)), [byte[]]($r + $t), [Security.Cryptography.HashAlgorithmName]::SHA256)
