import Foundation
import SiloTestSupport
import XCTest

/// SIGINT and SIGTERM during a backup: the command removes its own lease and temporary files,
/// says it was interrupted, and exits 128 + the signal; the repository checks clean and the next
/// backup works. The backup is stopped (SIGSTOP) once its first pack exists, so the signal always
/// lands mid-run; it is delivered when the backup continues.
final class InterruptTests: XCTestCase {
    private func files(_ env: CLIEnvironment, _ folder: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: env.repo + "/" + folder)) ?? [])
            .filter { ($0 as NSString).lastPathComponent.count >= 32 || $0.contains(".tmp-") }
    }

    private func temporaries(_ env: CLIEnvironment) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: env.repo)) ?? []).filter { $0.contains(".tmp-") }
    }

    private func interruptedBackup(_ signal: Int32, json: Bool, environment: [String: String] = [:]) throws -> (CLIEnvironment, status: Int32, stderr: String) {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for i in 0..<8 { try env.write("src/part\(i).bin", pseudoRandomBytes(5_000_000, seed: UInt64(40 + i))) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["backup", env.path("src")] + (json ? ["--json"] : [])
        process.environment = env.environment.merging(environment) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while files(env, "packs").isEmpty && process.isRunning && Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGSTOP)
        XCTAssertFalse(files(env, "locks").isEmpty, "the running backup holds a lease")
        kill(process.processIdentifier, signal)
        kill(process.processIdentifier, SIGCONT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (env, process.terminationStatus, stderr)
    }

    private func assertNothingLeft(_ env: CLIEnvironment, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(files(env, "locks"), [], "the lease is removed", file: file, line: line)
        XCTAssertEqual(temporaries(env), [], "no temporary file is left", file: file, line: line)
        XCTAssertEqual(files(env, "snapshots"), [], "nothing was committed", file: file, line: line)
        try env.expect(0, ["check"], file: file, line: line)
        try env.expect(0, ["backup", env.path("src"), "-q"], file: file, line: line)
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"], file: file, line: line)
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")), file: file, line: line)
    }

    func testSIGINTRemovesTheLeaseAndTemporaryFilesAndExits130() throws {
        let (env, status, stderr) = try interruptedBackup(SIGINT, json: false)
        XCTAssertEqual(status, 130, stderr)
        XCTAssertTrue(stderr.hasSuffix("silo: interrupted by SIGINT; its lease and temporary files were removed\n"), stderr)
        try assertNothingLeft(env)
    }

    func testSIGTERMExits143WithAJSONError() throws {
        let (env, status, stderr) = try interruptedBackup(SIGTERM, json: true)
        XCTAssertEqual(status, 143, stderr)
        let last = try XCTUnwrap(stderr.split(separator: "\n").last)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        XCTAssertEqual(object["message_type"] as? String, "error")
        XCTAssertTrue((object["message"] as? String ?? "").contains("SIGTERM"))
        XCTAssertEqual(object["exit_code"] as? Int, 143)
        try assertNothingLeft(env)
    }

    /// The command notices the interruption itself while the cleanup still runs (its commit is
    /// refused, a write fails once its temporary file is gone; the test hook holds the cleanup
    /// back 8 s so that this always happens): it must not exit first with its own error and
    /// code, but leave the exit to the signal thread, after the cleanup.
    func testTheCommandWaitsForTheCleanupAndExitsWithTheSignalsCode() throws {
        let (env, status, stderr) = try interruptedBackup(SIGTERM, json: false, environment: ["SILO_TEST_INTERRUPT_PAUSE_MS": "8000"])
        XCTAssertEqual(status, 143, stderr)
        XCTAssertTrue(stderr.hasSuffix("silo: interrupted by SIGTERM; its lease and temporary files were removed\n"), stderr)
        XCTAssertFalse(stderr.contains("silo: error"), stderr)
        try assertNothingLeft(env)
    }

    /// Ctrl-C at a password prompt (on a pseudo-terminal from util-linux's `script`): the
    /// terminal gets its echo back, which the prompt had turned off.
    func testSIGINTAtThePasswordPromptRestoresTheTerminalsEcho() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        let log = env.path("prompt.log")
        let command = "trap true INT; env -u SILO_PASSWORD SILO_REPOSITORY=\(env.repo) SILO_CACHE_DIR=\(env.path("cache")) "
            + "\(CLIEnvironment.binary) snapshots; echo status=\\$?; stty -a"
        _ = try env.shell("(sleep 2; printf '\\003'; sleep 2) | SHELL=/bin/sh script -qec \"sh -c '\(command)'\" /dev/null > '\(log)' 2>&1")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertTrue(text.contains("status=130"), text)
        XCTAssertTrue(text.contains("silo: interrupted by SIGINT"), text)
        let flags = text.split(whereSeparator: { $0 == " " || $0 == ";" || $0.isNewline })
        XCTAssertTrue(flags.contains("echo") && !flags.contains("-echo"), "echo is on again: \(text)")
    }

    /// An export interrupted mid-archive removes its partial file (`FILE.silo-partial-PID`) and
    /// leaves no archive.
    func testAnInterruptedExportRemovesItsPartialFile() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for i in 0..<8 { try env.write("src/part\(i).bin", pseudoRandomBytes(5_000_000, seed: UInt64(60 + i))) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["export", "latest", "-o", env.path("out.tar")]
        process.environment = env.environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        func partial() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: env.root)) ?? []).filter { $0.hasPrefix("out.tar") }
        }
        let deadline = Date().addingTimeInterval(60)
        while partial().isEmpty && process.isRunning && Date() < deadline { usleep(1_000) }
        kill(process.processIdentifier, SIGSTOP)
        XCTAssertEqual(partial().count, 1, "the export is under way")
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGCONT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertEqual(partial(), [], "neither the partial file nor an archive is left")
        XCTAssertEqual(files(env, "locks"), [])
    }
}
