import Foundation
import XCTest
import SiloConfig
@testable import SiloSystem

/// Health checks against real listeners on loopback: a Python HTTP server, a TCP socket that
/// accepts and never answers, a closed port, commands.
final class HealthProbeTests: XCTestCase {
    private var server: Process?
    private var port = 0

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
        super.tearDown()
    }

    /// Python's http.server answering `/health` 200 "healthy", anything else 503.
    private func startServer(hang: Bool = false) throws {
        port = Int.random(in: 30_000...45_000)
        let script = hang ? """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", \(port))); s.listen(8)
            held = []
            while True: held.append(s.accept()[0])
            """ : """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    ok = self.path == "/health"
                    body = b"healthy and well" if ok else b"nope"
                    self.send_response(200 if ok else 503); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
        server = process
        for _ in 0..<100 where !TCPProbe.connect(host: "127.0.0.1", port: port, timeout: 0.2).0 { usleep(50_000) }
    }

    private func check(_ probe: HealthCheckSettings.Probe, timeout: Int = 2, retries: Int = 0) -> HealthOutcome {
        HealthProbe.run(HealthCheckSettings(probe: probe, timeout: .seconds(timeout), retries: retries, interval: .seconds(1)), service: "web")
    }

    func testHTTPStatusAndBody() throws {
        try startServer()
        XCTAssertTrue(check(.http(url: "http://127.0.0.1:\(port)/health", status: 200, body: "healthy")).passed)
        let wrongBody = check(.http(url: "http://127.0.0.1:\(port)/health", status: 200, body: "ready"))
        XCTAssertFalse(wrongBody.passed)
        XCTAssertEqual(wrongBody.message, "answered 200 without \"ready\" in its body")
        let wrongStatus = check(.http(url: "http://127.0.0.1:\(port)/other", status: 200, body: nil))
        XCTAssertEqual(wrongStatus.message, "answered 503, expected 200")
        XCTAssertTrue(check(.http(url: "http://127.0.0.1:\(port)/other", status: 503, body: "nope")).passed)
    }

    func testTCPAndCommandChecks() throws {
        try startServer()
        XCTAssertTrue(check(.tcp(host: "127.0.0.1", port: port)).passed)
        server?.terminate()
        server?.waitUntilExit()
        server = nil
        let closed = check(.tcp(host: "127.0.0.1", port: port), retries: 2)
        XCTAssertFalse(closed.passed)
        XCTAssertEqual(closed.attempts, 3, "retries: 2 more tries")
        XCTAssertTrue(closed.message.contains("refused"), closed.message)
        XCTAssertTrue(check(.command("test 1 -eq 1")).passed)
        XCTAssertEqual(check(.command("exit 3")).message, "exited with status 3")
    }

    /// A service that accepts and never answers: each try ends at its timeout, the check after
    /// its last try; never a hang.
    func testACheckThatNeverAnswersEndsAtItsTimeout() throws {
        try startServer(hang: true)
        let started = Date()
        let outcome = check(.http(url: "http://127.0.0.1:\(port)/health", status: 200, body: nil), timeout: 1, retries: 1)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertFalse(outcome.passed)
        XCTAssertEqual(outcome.attempts, 2)
        XCTAssertGreaterThanOrEqual(elapsed, 2, "two tries of a second each, a second apart")
        XCTAssertLessThan(elapsed, 8)
        let command = check(.command("sleep 30"), timeout: 1)
        XCTAssertEqual(command.message, "timed out")
    }

    func testAllChecksOfAServiceStopAtTheFirstFailure() {
        let service = ServiceSettings(name: "web", priority: .medium, control: .commands(start: "true", stop: "true", status: nil),
                                      health: [HealthCheckSettings(probe: .command("true"), retries: 0),
                                               HealthCheckSettings(probe: .command("false"), retries: 0, interval: .zero),
                                               HealthCheckSettings(probe: .command("true"), retries: 0)])
        let outcomes = HealthProbe.runAll(service)
        XCTAssertEqual(outcomes.map(\.passed), [true, false])
    }
}
