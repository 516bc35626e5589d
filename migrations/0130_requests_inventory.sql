-- Service requests on the inventory (issues 3 and 4): studies, numbers, SIM cards and holds are the
-- inventory's (its reservations, technical file and pending requests), so the requests module's own
-- stand-in for reservations goes. Nothing of value is lost: a reservation of a request that ended
-- was released or consumed, and requests still running on an older scenario version reserve and
-- release through the inventory (handlers `request.reserve_number`, `request.release_reservation`).
DROP TABLE request_reservation;

-- The letter and SMS telling the customer that their request was cancelled, and why.
INSERT INTO message_template (code, channel, language, subject, body) VALUES
  ('request_cancelled', 'letter', 'fr', 'Annulation de votre demande {{number}}',
   E'Madame, Monsieur {{customerName}},\n\nVotre demande {{number}} ({{kindLabel}}) a été annulée le {{date}}.\nMotif : {{reason}}\n\nLes sommes versées pour cette demande vous sont remboursées. Nous restons à votre disposition.\n\nLe service commercial'),
  ('request_cancelled', 'sms', 'fr', NULL,
   'GPTo: votre demande {{number}} ({{kindLabel}}) est annulée. Motif: {{reason}}'),
  ('request_cancelled', 'letter', 'en', 'Your request {{number}} is cancelled',
   E'Dear {{customerName}},\n\nYour request {{number}} ({{kindLabel}}) was cancelled on {{date}}.\nReason: {{reason}}\n\nWhat you paid for it is refunded. We remain at your service.\n\nCommercial service'),
  ('request_cancelled', 'sms', 'en', NULL, 'GPTo: your request {{number}} ({{kindLabel}}) is cancelled. Reason: {{reason}}');
