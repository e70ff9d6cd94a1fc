import SiloNotify
import XCTest
