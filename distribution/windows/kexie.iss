; Inno Setup 6 script for Kexie Collect (科协数据采集) on Windows 10/11, 64-bit.
; NOT BUILT OR TESTED on the project's machines (Linux): see docs/distribution.md, "Windows".
;
; Built by `python scripts/build_app.py --installer` on Windows, which runs
;   ISCC.exe /DAppVersion=<kexie.__version__> /DSourceDir=<repo>\dist\kexie /DOutputDir=<repo>\dist kexie.iss
; Input: dist\kexie\ from PyInstaller (distribution\kexie.spec): kexie.exe (console: the
; sub-commands), KexieCollect.exe (no console: the window), _internal\.
; Output: dist\KexieCollect-<version>-setup.exe.
; Saved as UTF-8 with a byte-order mark so the Chinese names survive.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\kexie"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; AppId identifies the program for upgrades and uninstall: never change it.
AppId={{6F3B9C1E-4A7D-4E2B-9C55-1D8E2A7F0B31}
AppName=科协数据采集 Kexie Collect
AppVersion={#AppVersion}
AppVerName=科协数据采集 Kexie Collect {#AppVersion}
AppPublisher=Kexie Collect
DefaultDirName={autopf}\KexieCollect
DefaultGroupName=科协数据采集
DisableProgramGroupPage=yes
; Per-user install without administrator rights by default (county PCs are often locked down);
; the first page offers "install for all users" to an administrator.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
; Qt 6 and Python 3.11 need Windows 10 or later, 64-bit.
MinVersion=10.0
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=KexieCollect-{#AppVersion}-setup
SetupIconFile=..\..\desktop\resources\kexie.ico
UninstallDisplayIcon={app}\KexieCollect.exe
UninstallDisplayName=科协数据采集 Kexie Collect
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The user's data (%LOCALAPPDATA%\KexieCollect) is never touched by install or uninstall.

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
; Chinese (Simplified) is not among Inno Setup's bundled languages: put ChineseSimplified.isl
; from Inno Setup's unofficial translations next to this file and it is used.
#if FileExists(AddBackslash(SourcePath) + "ChineseSimplified.isl")
Name: "chinesesimplified"; MessagesFile: "ChineseSimplified.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\科协数据采集"; Filename: "{app}\KexieCollect.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\科协数据采集"; Filename: "{app}\KexieCollect.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\KexieCollect.exe"; Description: "{cm:LaunchProgram,科协数据采集}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder (Python writes nothing there, but be sure it goes).
Type: filesandordirs; Name: "{app}\_internal"
