import Foundation
import SiloTestSupport
import XCTest

/// The progress line on a real pseudo-terminal of a set width (python3's pty module): it never
/// takes more than the terminal's columns, shows the file total and the errors, and an
/// interruption ends it before "interrupted" is said.
final class ProgressLineTests: XCTestCase {
    /// terminal.py COLUMNS INTERRUPT COMMAND…: runs COMMAND on a pseudo-terminal COLUMNS wide,
    /// prints what it wrote there and exits with its status; INTERRUPT 1 types Ctrl-C as soon as
    /// a progress line shows.
    private static let terminal = """
        import os, pty, sys, struct, fcntl, termios, select
        cols = int(sys.argv[1]); interrupt = sys.argv[2] == "1"; argv = sys.argv[3:]
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
            os.execv(argv[0], argv)
        sent = False; out = b''
        while True:
            if interrupt and not sent and b' files' in out:
                os.write(fd, b'\\x03'); sent = True
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try: data = os.read(fd, 65536)
                except OSError: break
                if not data: break
                out += data
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(out)
        sys.exit(os.waitstatus_to_exitcode(status) % 256)
        """

    private func prepared(files: Int = 12) throws -> CLIEnvironment {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("needs python3 for a pseudo-terminal") }
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("terminal.py", Data(Self.terminal.utf8))
        for i in 0..<files {
            try env.write("src/a-rather-long-directory-name/another-level/file-\(i).bin", pseudoRandomBytes(8_000_000, seed: UInt64(70 + i)))
        }
        return env
    }

    /// What the terminal showed, line by line: split at every carriage return and line feed,
    /// escape sequences removed.
    private func onTerminal(_ env: CLIEnvironment, columns: Int, interrupt: Bool = false, _ arguments: [String],
                            as user: String? = nil) throws -> (status: Int32, lines: [String]) {
        let command = (user.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [CLIEnvironment.binary] + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [env.path("terminal.py"), String(columns), interrupt ? "1" : "0"] + command
        // A line every 10 ms: a run of a second shows the states a slower one would.
        process.environment = env.environment.merging(["SILO_TEST_PROGRESS_INTERVAL_MS": "10"]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let screen = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
        return (process.terminationStatus, screen.components(separatedBy: CharacterSet(charactersIn: "\r\n")))
    }

    /// The progress lines among them (`[0:01] backed up …`); the summary after them is
    /// ordinary output, which a terminal wraps.
    private func progressLines(_ lines: [String]) -> [String] {
        lines.filter { $0.range(of: "^\\[[0-9:]+\\] ", options: .regularExpression) != nil }
    }

    private func assertFits(_ lines: [String], _ columns: Int, file: StaticString = #filePath, line: UInt = #line) {
        let progress = progressLines(lines)
        XCTAssertFalse(progress.isEmpty, "no progress line:\n\(lines.joined(separator: "\n"))", file: file, line: line)
        for text in progress { XCTAssertLessThanOrEqual(text.count, columns, "wider than \(columns): \(text)", file: file, line: line) }
    }

    func testTheLineFitsTheTerminalAndCountsToTheTotal() throws {
        let env = try prepared()
        let wide = try onTerminal(env, columns: 100, ["backup", env.path("src")])
        XCTAssertEqual(wide.status, 0)
        assertFits(wide.lines, 100)
        XCTAssertTrue(wide.lines.contains { $0.contains("backed up") && $0.contains(" / 12 files") }, wide.lines.joined(separator: "\n"))
        // The current file, shortened in the middle: its end (the name) is kept.
        XCTAssertTrue(wide.lines.contains { $0.contains("/s") && $0.contains("…") && $0.contains("/file-") }, wide.lines.joined(separator: "\n"))

        let narrow = try onTerminal(env, columns: 40, ["backup", env.path("src"), "--force"])
        XCTAssertEqual(narrow.status, 0)
        assertFits(narrow.lines, 40)

        let restore = try onTerminal(env, columns: 60, ["restore", "latest", "--target", env.path("out")])
        XCTAssertEqual(restore.status, 0)
        assertFits(restore.lines, 60)
        XCTAssertTrue(restore.lines.contains { $0.contains("restored") && $0.contains(" / 12 files") }, restore.lines.joined(separator: "\n"))
    }

    func testErrorsAreCounted() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run silo as a user that cannot read a file") }
        let env = try prepared()
        try env.write("src/0-secret.txt", text(1000, seed: 2))
        XCTAssertEqual(chmod(env.path("src/0-secret.txt"), 0o000), 0)
        XCTAssertEqual(try env.shell("chmod 755 '\(env.root)' && chown -R nobody '\(env.root)' && chown root '\(env.path("src/0-secret.txt"))'"), 0)
        let result = try onTerminal(env, columns: 60, ["backup", env.path("src")], as: "nobody")
        XCTAssertEqual(result.status, 3, result.lines.joined(separator: "\n"))
        assertFits(result.lines, 60)
        XCTAssertTrue(result.lines.contains { $0.contains(" files") && $0.contains("1 error") }, result.lines.joined(separator: "\n"))
    }

    func testInterruptionEndsTheLineFirst() throws {
        let env = try prepared(files: 40)
        let result = try onTerminal(env, columns: 80, interrupt: true, ["backup", env.path("src")])
        XCTAssertEqual(result.status, 130, result.lines.joined(separator: "\n"))
        let said = try XCTUnwrap(result.lines.firstIndex { $0.contains("interrupted") }, result.lines.joined(separator: "\n"))
        XCTAssertTrue(result.lines[said].hasPrefix("silo: interrupted by SIGINT"), result.lines[said])
        XCTAssertEqual(progressLines(Array(result.lines[said...])), [], "no progress after the interruption")
    }
}
