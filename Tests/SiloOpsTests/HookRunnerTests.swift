import Foundation
import SiloConfig
@testable import SiloOps
import XCTest

/// Hooks: exit 75 asks to skip, other codes fail, a timeout kills the hook's whole process
/// group, and silo's own password never reaches a hook.
final class HookRunnerTests: XCTestCase {
    func testResults() {
        XCTAssertEqual(HookRunner.run(Hook(command: "true"), environment: [:]), .succeeded)
        XCTAssertEqual(HookRunner.run(Hook(command: "exit 75"), environment: [:]), .skipRequested)
        XCTAssertEqual(HookRunner.run(Hook(command: "exit 4"), environment: [:]), .failed(status: 4))
        XCTAssertEqual(HookRunner.run(Hook(command: "kill -9 $$"), environment: [:]), .failed(status: 137))
    }

    func testEnvironmentIsPassedButNotTheRepositoryPassword() throws {
        let scratch = ScratchState()
        let out = scratch.root + "/env"
        setenv("SILO_PASSWORD", "hunter2", 1)
        defer { unsetenv("SILO_PASSWORD") }
        XCTAssertEqual(HookRunner.run(Hook(command: "echo \"$SILO_SOURCE:${SILO_PASSWORD:-none}\" > \(out)"), environment: ["SILO_SOURCE": "db"]), .succeeded)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "db:none\n")
    }

    func testATimeoutKillsTheWholeGroup() throws {
        let scratch = ScratchState()
        let pidFile = scratch.root + "/pid"
        let started = Date()
        let result = HookRunner.run(Hook(command: "sleep 60 & echo $! > \(pidFile); wait", timeout: "1s"), environment: [:])
        XCTAssertEqual(result, .timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        let child = try XCTUnwrap(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(100_000)
        let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
        XCTAssertTrue(stat == nil || stat!.split(separator: " ")[2] == "Z", "the hook's child is gone")
    }

    func testAHookThatIgnoresSIGTERMIsKilledAfterTheGrace() {
        let started = Date()
        XCTAssertEqual(HookRunner.run(Hook(command: "trap '' TERM; sleep 30", timeout: "1s"), environment: [:]), .timedOut)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 1 + HookRunner.killGrace - 0.5)
        XCTAssertLessThan(elapsed, 1 + HookRunner.killGrace + 5)
    }
}
