import XCTest
@testable import SiloConfig

final class CadenceTests: XCTestCase {
    func testDurationsAndWords() {
        XCTAssertEqual(Cadence("4h")?.interval, .seconds(4 * 3_600))
        XCTAssertEqual(Cadence("30m")?.interval, .seconds(1_800))
        XCTAssertEqual(Cadence("1w")?.interval, .seconds(7 * 86_400))
        XCTAssertEqual(Cadence("daily")?.interval, .seconds(86_400))
        XCTAssertEqual(Cadence("monthly")?.interval, Cadence.month)
        for bad in ["", "4", "h", "0h", "-1d", "4x", "1.5h", "4 h", "Daily"] { XCTAssertNil(Cadence(bad), bad) }
    }

    func testSharesAndCoverage() {
        XCTAssertEqual(Share("5%")?.fraction, 0.05)
        XCTAssertEqual(Share("1/30")?.fraction, 1.0 / 30)
        for bad in ["0%", "101%", "1/0", "2/3", "x"] { XCTAssertNil(Share(bad), bad) }
        XCTAssertGreaterThanOrEqual(CheckSettings.defaultReadData.coveragePerMonth, 1 - 1e-9)
        XCTAssertLessThan(ReadDataSettings(cadence: Cadence("weekly")!, share: Share("10%")!).coveragePerMonth, 1)
    }

    func testKeepWithinGrammar() {
        for good in ["7d", "1y6m", "36h"] { XCTAssertTrue(KeepPolicy.isWithinDuration(good), good) }
        for bad in ["", "7", "d", "0d", "7x", "7d3"] { XCTAssertFalse(KeepPolicy.isWithinDuration(bad), bad) }
    }
}
