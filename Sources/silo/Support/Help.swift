/// Help text shared by commands: examples in each command's `--help`, and the root's list of
/// global options, environment variables and exit codes (`silo --help`).
enum Help {
    /// A command's discussion: its examples, one per line, ready to paste.
    static func examples(_ lines: [String], note: String? = nil) -> String {
        (note.map { $0 + "\n\n" } ?? "") + "Examples:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }

    static let root: String = {
        let globals = GlobalOptionPlacement.options.map { option in
            "  " + pad(option.names.joined(separator: ", ") + (option.valueName.map { " " + $0 } ?? ""), 26) + option.help
        }
        let environment = variables.map { "  " + pad($0.0, 26) + $0.1 }
        let codes = SiloError.Code.allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: ", ")
        return """
            Global options, taken by every command, before or after its name, once
            (`silo -r REPO snapshots` or `silo snapshots -r REPO`):
            \(globals.joined(separator: "\n"))

            Environment:
            \(environment.joined(separator: "\n"))

            Exit codes: \(codes).

            Examples:
              silo -r /srv/backup init
              silo -r /srv/backup backup /etc /home
              silo -r /srv/backup snapshots
              silo -r /srv/backup restore latest --target /
              silo help backup
            """
    }()

    private static let variables: [(String, String)] = [
        ("SILO_REPOSITORY", "the repository, when -r is not given"),
        ("SILO_PASSWORD", "the repository's password"),
        ("SILO_PASSWORD_FILE", "a file holding it (--password-file)"),
        ("SILO_PASSWORD_COMMAND", "a command printing it (--password-command)"),
        ("SILO_CACHE_DIR", "the catalog cache (else $XDG_CACHE_HOME/silo)"),
        ("SILO_STATE_DIR", "the state: run history (else /var/lib/silo for"),
        ("", "root, $XDG_STATE_HOME/silo otherwise)"),
        ("SILO_CONFIG", "the configuration file (--config)"),
        ("SILO_NEW_PASSWORD", "the new password of key add and key passwd"),
        ("SILO_FROM_PASSWORD", "another repository's password (copy --from, init)"),
        ("SILO_TO_PASSWORD", "the other repository's password (copy --to)"),
        ("SILO_LEGACY_PASSWORD", "the password of encrypted archives (import)"),
        ("SILO_POSTGRES", "the databases backup --postgres dumps"),
        ("DB_PASSWORD, PGPASSWORD", "the PostgreSQL password (or ~/.pgpass)"),
        ("AWS_ACCESS_KEY_ID", "S3 credentials (and AWS_SECRET_ACCESS_KEY,"),
        ("", "AWS_SESSION_TOKEN)"),
        ("AWS_PROFILE", "the section of AWS_SHARED_CREDENTIALS_FILE"),
        ("AWS_REGION", "the S3 region (or AWS_DEFAULT_REGION, us-east-1)"),
        ("AWS_CA_BUNDLE", "CAs trusted for https:// (--cacert)"),
        ("SILO_S3_VIRTUAL_HOST=1", "virtual-host-style S3 addressing"),
        ("https_proxy, HTTPS_PROXY", "a CONNECT proxy for https:// (but no_proxy)"),
        ("SSL_CERT_FILE, SSL_CERT_DIR", "where OpenSSL finds the system's CAs"),
    ]

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + "  " : text + String(repeating: " ", count: width - text.count)
    }
}
