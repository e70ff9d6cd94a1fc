import Foundation

/// The checks beyond the file's shape: files it names exist, secrets are not readable by others.
enum FileChecks {
    /// Password files, and a configuration holding a literal secret, must be 0600 or stricter:
    /// no bit for the group or others.
    static func isPrivate(_ mode: mode_t) -> Bool { mode & 0o077 == 0 }

    static func mode(of path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode
    }

    static func check(_ files: [ConfigurationReader.ReferencedFile], reader: NodeReader) {
        for file in files {
            let what = switch file.kind {
            case .passwordFile: "password file"
            case .excludeFile: "exclude file"
            case .secretFile: "secret file"
            case .certificateFile: "CA file"
            }
            var status = stat()
            guard stat(file.path, &status) == 0 else {
                let reason = String(cString: strerror(errno))
                reader.report("\(what) \(file.path) cannot be used: \(reason.prefix(1).lowercased() + reason.dropFirst())", at: file.position, file.keyPath)
                continue
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                reader.report("\(what) \(file.path) is a directory", at: file.position, file.keyPath)
                continue
            }
            if file.kind == .passwordFile || file.kind == .secretFile, !isPrivate(status.st_mode) {
                reader.report("\(what) \(file.path) has mode \(octal(status.st_mode)): others can read it; run chmod 600 \(file.path)",
                              at: file.position, file.keyPath)
            }
        }
    }

    /// The configuration itself, when it holds a secret written out.
    static func checkConfigurationMode(file: String, reader: NodeReader) {
        guard let first = reader.literalSecrets.first, let mode = mode(of: file), !isPrivate(mode) else { return }
        reader.report("holds a secret written out, but \(file) has mode \(octal(mode)): run chmod 600 \(file), or refer to an environment variable as ${VAR}",
                      at: first.position, first.path)
    }

    static func octal(_ mode: mode_t) -> String { "0" + String(mode & 0o7777, radix: 8) }
}
