-- subscriptions_razorpay_billing_leads
ALTER TABLE billing_invoices ADD COLUMN IF NOT EXISTS subscription_id bigint;
ALTER TABLE billing_invoices ADD COLUMN IF NOT EXISTS razorpay_invoice_id text;
ALTER TABLE billing_invoices ADD COLUMN IF NOT EXISTS currency text;
ALTER TABLE signup_leads ADD COLUMN IF NOT EXISTS company text;
ALTER TABLE signup_leads ADD COLUMN IF NOT EXISTS source text;
