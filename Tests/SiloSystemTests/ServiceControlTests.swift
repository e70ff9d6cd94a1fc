import Foundation
import XCTest
import SiloConfig
@testable import SiloSystem

/// Services driven through the command-line contracts of systemctl and PM2, against stand-ins
/// (fixtures/standins): no systemd runs here and PM2 cannot be installed (it comes from npm).
/// The stand-ins answer as the real CLIs do, with `pm2 jlist` in the shape of PM2's documentation.
final class ServiceControlTests: XCTestCase {
    private var directory = ""
    private static let standins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/standins").path

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "silo-services-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    private var environment: [String: String] {
        ["PATH": Self.standins + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
         "PM2_STANDIN_DIR": directory, "SYSTEMCTL_STANDIN_DIR": directory]
    }

    private func calls() -> [String] {
        ((try? String(contentsOfFile: directory + "/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    func testSystemdUnitsThroughSystemctl() throws {
        try write("api.service", "active\n")
        let control = ServiceControl(ServiceSettings(name: "api", priority: .high, control: .systemd(unit: "api.service")), environment: environment)
        XCTAssertNil(control.missingProgram())
        XCTAssertEqual(control.isRunning(), true)
        try control.stop()
        XCTAssertEqual(control.isRunning(), false)
        try control.start()
        XCTAssertEqual(control.isRunning(), true)
        XCTAssertEqual(calls(), ["is-active --quiet api.service", "stop -- api.service", "is-active --quiet api.service",
                                 "start -- api.service", "is-active --quiet api.service"])

        // A unit that fails to start is a failure naming the service and what was run.
        try write("api.service.fail-start", "")
        XCTAssertThrowsError(try control.start()) { error in
            XCTAssertTrue(String(describing: error).contains("service api: start (systemctl start -- 'api.service') exited with status 1"), "\(error)")
        }
    }

    func testPM2ProcessesThroughItsCLI() throws {
        try write("api-server.status", "online\n")
        try write("worker.status", "stopped\n")
        let control = ServiceControl(ServiceSettings(name: "api", priority: .high, control: .pm2(process: "api-server")), environment: environment)
        XCTAssertEqual(control.isRunning(), true)
        try control.stop()
        XCTAssertEqual(control.isRunning(), false)
        try control.start()
        XCTAssertEqual(control.isRunning(), true)
        XCTAssertTrue(calls().contains("restart api-server"), "\(calls())")
        let worker = ServiceControl(ServiceSettings(name: "worker", priority: .low, control: .pm2(process: "worker")), environment: environment)
        XCTAssertEqual(worker.isRunning(), false)
        let unknown = ServiceControl(ServiceSettings(name: "x", priority: .low, control: .pm2(process: "nope")), environment: environment)
        XCTAssertEqual(unknown.isRunning(), false, "a process PM2 does not list is not running")
        XCTAssertThrowsError(try unknown.stop())
    }

    func testPM2JlistAsDocumented() throws {
        // The shape of PM2's documentation: more fields than silo reads.
        let list = try PM2ProcessList(json: """
            [{"pid":4711,"name":"api-server","pm2_env":{"status":"online","pm_uptime":1700000000000,"restart_time":2,"unstable_restarts":0,
              "exec_mode":"cluster_mode","instances":2},"pm_id":0,"monit":{"memory":52428800,"cpu":1.5}},
             {"pid":0,"name":"reports","pm2_env":{"status":"errored"},"pm_id":1,"monit":{"memory":0,"cpu":0}}]
            """)
        XCTAssertEqual(list.status(of: "api-server"), "online")
        XCTAssertEqual(list.status(of: "reports"), "errored")
        XCTAssertNil(list.status(of: "web"))
        XCTAssertThrowsError(try PM2ProcessList(json: "[PM2] Spawning PM2 daemon"), "not JSON: the status is unknown")
    }

    func testCommandsAndMissingPrograms() throws {
        let marker = directory + "/running"
        let control = ServiceControl(ServiceSettings(name: "web", priority: .medium,
                                                     control: .commands(start: "touch \(marker)", stop: "rm -f \(marker)", status: "test -e \(marker)")))
        XCTAssertNil(control.missingProgram())
        XCTAssertEqual(control.isRunning(), false)
        try control.start()
        XCTAssertEqual(control.isRunning(), true)
        try control.stop()
        XCTAssertEqual(control.isRunning(), false)

        let noStatus = ServiceControl(ServiceSettings(name: "web", priority: .medium, control: .commands(start: "true", stop: "true", status: nil)))
        XCTAssertNil(noStatus.isRunning(), "without a status command, only the health checks can tell")

        let missing = ServiceControl(ServiceSettings(name: "web", priority: .medium,
                                                     control: .commands(start: "PORT=80 exec /opt/nowhere/start-web --fast", stop: "true", status: nil)))
        XCTAssertEqual(missing.missingProgram(), "/opt/nowhere/start-web")
        let noPM2 = ServiceControl(ServiceSettings(name: "api", priority: .high, control: .pm2(process: "api")), environment: ["PATH": directory])
        XCTAssertEqual(noPM2.missingProgram(), "pm2")
    }

    func testAStopThatOutlivesItsTimeoutFails() throws {
        let control = ServiceControl(ServiceSettings(name: "slow", priority: .low, control: .commands(start: "true", stop: "sleep 30", status: nil),
                                                     timeout: .seconds(1)))
        let started = Date()
        XCTAssertThrowsError(try control.stop()) { XCTAssertTrue(String(describing: $0).contains("timed out"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }
}
