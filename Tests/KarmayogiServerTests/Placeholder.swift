import Testing
import VaporTesting
@testable import KarmayogiServer
