"""Service certificates (志愿服务证明): issued, verified by anyone, revoked by staff."""
