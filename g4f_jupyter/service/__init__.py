"""The Backend API behaviours, framework-free: handlers, magics and widgets call these."""
