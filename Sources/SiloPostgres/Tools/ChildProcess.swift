import Foundation
import CLinux

/// A PostgreSQL client program (`pg_dump`, `pg_restore`, `pg_dumpall`) run as a child.
///
/// Connection settings and the password reach it through its environment only, never argv:
/// argv is visible to every user of the machine in `ps`. Its standard error is collected in
/// the background (the last 64 KiB) so a failure can be reported with the program's own words.
final class ChildProcess: @unchecked Sendable {
    enum Input {
        case inherit
        /// The child reads a pipe; `stdinDescriptor` is its write end, ours to fill and close.
        case pipe
        case file(String)
    }

    let program: String
    private(set) var pid: pid_t = 0
    /// Write end of the child's standard input (with `.pipe`).
    private(set) var stdinDescriptor: Int32 = -1
    /// Read end of the child's standard output (with `captureOutput`).
    private(set) var stdoutDescriptor: Int32 = -1
    private var stderrThread: Thread?
    private let stderrDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stderrTail = Data()
    private var exitStatus: Int32?

    /// Starts `program arguments` with `environment` added to this process's environment, less
    /// silo's secrets (`ChildEnvironment`).
    init(_ program: String, _ arguments: [String], environment: [String: String], input: Input = .inherit,
         captureOutput: Bool) throws {
        self.program = program
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        func makePipe(_ fds: inout [Int32]) throws {
            guard silo_pipe_cloexec(&fds) == 0 else { throw PostgresError(.tool, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        }
        var inputFile: Int32 = -1
        if case .pipe = input { try makePipe(&stdinPipe) }
        if case .file(let path) = input {
            inputFile = open(path, O_RDONLY | O_CLOEXEC)
            guard inputFile >= 0 else { throw PostgresError(.tool, "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        if captureOutput { try makePipe(&stdoutPipe) }
        try makePipe(&stderrPipe)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinPipe[0] >= 0 { posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0) }
        if inputFile >= 0 { posix_spawn_file_actions_adddup2(&actions, inputFile, 0) }
        if stdoutPipe[1] >= 0 { posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1) }
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)

        let merged = ChildEnvironment.make(adding: environment)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        silo_spawnattr_default_signals(&attributes)  // Ctrl-C and kill reach the child
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        for fd in [stdinPipe[0], stdoutPipe[1], stderrPipe[1], inputFile] where fd >= 0 { close(fd) }
        guard spawned == 0 else {
            for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] where fd >= 0 { close(fd) }
            throw PostgresError(.tool, "cannot run \(program): \(String(cString: strerror(spawned))) (is the PostgreSQL client installed?)")
        }
        stdinDescriptor = stdinPipe[1]
        stdoutDescriptor = stdoutPipe[0]
        let errFD = stderrPipe[0]
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = read(errFD, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.withLock {
                    stderrTail.append(contentsOf: buffer[0..<n])
                    if stderrTail.count > 65536 { stderrTail.removeFirst(stderrTail.count - 65536) }
                }
            }
            close(errFD)
            stderrDone.signal()
        }
        thread.start()
        stderrThread = thread
    }

    /// Closes our end of the child's standard input: the child then sees its end.
    func closeInput() {
        if stdinDescriptor >= 0 { close(stdinDescriptor) }
        stdinDescriptor = -1
    }

    /// Waits for the child; returns its exit status, or 128 + signal when it was killed.
    @discardableResult
    func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        closeInput()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        stderrDone.wait()
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = code
        return code
    }

    /// What the child wrote on standard error, trimmed.
    var errorOutput: String {
        lock.withLock { String(decoding: stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Waits, and throws with the child's own message unless it exited 0.
    func checkSuccess(_ what: String) throws {
        let code = wait()
        guard code != 0 else { return }
        let how = code > 128 ? "was killed by signal \(code - 128)" : "exited with status \(code)"
        let message = errorOutput.isEmpty ? "" : ": " + errorOutput.split(separator: "\n").suffix(5).joined(separator: " | ")
        throw PostgresError(.tool, "\(what): \(program) \(how)\(message)")
    }

    /// Runs a program to completion and returns its standard output.
    static func output(_ program: String, _ arguments: [String], environment: [String: String], limit: Int = 1 << 30) throws -> Data {
        let child = try ChildProcess(program, arguments, environment: environment, captureOutput: true)
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var overflow = false
        while true {
            let n = read(child.stdoutDescriptor, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if output.count + n > limit { overflow = true; break }
            output.append(contentsOf: buffer[0..<n])
        }
        close(child.stdoutDescriptor)
        if overflow { kill(child.pid, SIGTERM) }
        try child.checkSuccess("\(program) \(arguments.first ?? "")")
        if overflow { throw PostgresError(.tool, "\(program) wrote more than \(limit) bytes") }
        return output
    }
}
