import Foundation
import SiloConfig

/// Turns a configured `Secret` into its value at the moment of sending, so a rotated password
/// file or a vault command is read afresh each time and the value is never kept in settings.
public struct SecretResolver: Sendable {
    /// The environment of secret commands, and HOME for `~/` in secret file paths.
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func resolve(_ secret: Secret) throws(SecretError) -> String {
        switch secret {
        case .value(let value):
            guard !value.isEmpty else { throw .empty(origin: "the configuration") }
            return value
        case .file(let path):
            return try readFile(expanding(path))
        case .command(let command):
            return try run(command)
        }
    }

    private func expanding(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst(1)
    }

    /// Mode checked on the opened descriptor (fstat), so the file checked is the file read.
    private func readFile(_ path: String) throws(SecretError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw .fileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .fileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path: path) }
        guard info.st_mode & 0o077 == 0 else { throw .fileTooOpen(path: path, mode: UInt32(info.st_mode)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            // A secret is a line; a huge file is a mistake (a wrong path), not a secret.
            guard bytes.count <= 1 << 20 else { throw .fileUnreadable(path: path, reason: "larger than 1 MiB") }
        }
        let value = Self.trimmingTrailingNewlines(String(decoding: bytes, as: UTF8.self))
        guard !value.isEmpty else { throw .empty(origin: path) }
        return value
    }

    /// `/bin/sh -c COMMAND` with stdin from /dev/null and stderr discarded: what the command says
    /// on stderr might quote the secret, and it would end up in a log.
    private func run(_ command: String) throws(SecretError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .commandUnstartable(command: command, reason: error.localizedDescription)
        }
        // Read to the end before waiting: a command that prints more than a pipe holds would
        // otherwise block for ever on its write while we block on its exit.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .commandFailed(command: command, status: process.terminationStatus)
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw .empty(origin: "the command `\(command)`") }
        return value
    }

    static func trimmingTrailingNewlines(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last.isNewline { text = text.dropLast() }
        return String(text)
    }
}
