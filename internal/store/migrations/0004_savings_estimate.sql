-- The estimate flag of a saving's price: 1 when the price was another
-- component's for the same instance type and region (shown with "~"),
-- not an exact catalog price. Rows written before this version were not
-- flagged and stay 0.
ALTER TABLE savings ADD COLUMN estimate INTEGER NOT NULL DEFAULT 0 CHECK (estimate IN (0, 1));
ALTER TABLE actions ADD COLUMN monthly_saved_estimate INTEGER NOT NULL DEFAULT 0 CHECK (monthly_saved_estimate IN (0, 1));
