import CLinux
import Foundation
import SiloRepository

/// `--password-command CMD` / `SILO_PASSWORD_COMMAND`: CMD runs under `/bin/sh -c` (so that
/// `pass show silo` or `secret-tool lookup …` work as typed) and the first line it prints is
/// the password. The password never travels through a child's argv or environment: the child
/// gets it from wherever it keeps it, silo reads it from the pipe. Its standard input and error
/// are silo's, so that a command that asks on the terminal (`systemd-ask-password`) can.
enum PasswordCommand {
    static func run(_ command: String) throws -> Data {
        var pipe: [Int32] = [-1, -1]
        guard silo_pipe_cloexec(&pipe) == 0 else { throw failure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        silo_spawnattr_default_signals(&attributes)  // Ctrl-C and kill reach the child

        let words: [String] = ["/bin/sh", "-c", command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = childEnvironment().map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw failure("cannot run the password command: \(String(cString: strerror(spawned)))")
        }
        let output = readAll(pipe[0])
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if (status & 0x7f) != 0 { throw failure("the password command was killed by signal \(status & 0x7f)") }
        let code = (status >> 8) & 0xff
        guard code == 0 else { throw failure("the password command exited with status \(code)") }

        var line = Data(output.prefix { $0 != UInt8(ascii: "\n") })
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else { throw failure("the password command printed no password") }
        return line
    }

    /// This process's environment less silo's own passwords (another repository's, a new key's,
    /// legacy archives'): the command has no use for them.
    private static func childEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !($0.key.hasPrefix("SILO_") && $0.key.contains("PASSWORD")) }
    }

    /// Up to 64 KiB: a password is one short line; the rest is drained so the child can finish.
    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if data.count < 65536 { data.append(contentsOf: buffer[0..<n]) }
        }
        return data
    }

    private static func failure(_ message: String) -> RepositoryError { RepositoryError(.wrongPassword, message) }
}
