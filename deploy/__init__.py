"""Deployment files: nginx's site configuration (nginx.conf) and the wrapper `make serve-nginx`
runs it in (nginx-local.conf), systemd units, an example environment file, and render.py,
which fills the configurations' @NAME@ placeholders."""
