/// One reason an input was refused, naming the field it concerns.
public struct FieldError: Hashable, Sendable, Codable {
    public var field: String
    public var reason: String

    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension String {
    public var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

import Foundation
