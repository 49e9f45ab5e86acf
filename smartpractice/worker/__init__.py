"""Queue adapters: they decide when to apply events; `services.events` applies them."""
